// Following deployments cheaply (docs/decisions/0043-watching-deployments.md). One watcher per
// client serves every concurrent watch call: ONE WebSocket carrying a `deployment(id)`
// subscription per followed deployment, a batched read when deployments are added, and a slow
// safety read; when the socket fails, ONE polling loop reads every pending deployment in one
// request (aliased fields), every minIntervalMs after a change, growing to maxIntervalMs.

import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { toDeployment } from "./deployment-info.ts";
import { RailwayNotFoundError } from "./errors.ts";
import { DeploymentStatusSubscription } from "./operations.ts";
import type { DeploymentInfo } from "./types.ts";

/** How long an idle, healthy socket is kept for the next watch. */
const IDLE_SOCKET_MS = 5_000;
/** How long a subscription no watch needs is kept, for a watch of the same deployment that follows. */
const SUBSCRIPTION_LINGER_MS = 2_000;
/** First and longest wait before reading again a deployment Railway does not show yet. */
const NOT_VISIBLE_FIRST_RETRY_MS = 250;
const NOT_VISIBLE_MAX_RETRY_MS = 2_000;

/** Railway's answer for a deployment id it cannot read ("Deployment not found"). */
export function isNotFoundMessage(message: string): boolean {
  return /\bnot found\b/i.test(message);
}

export interface WatchOptions {
  /** "auto" (default): subscriptions, polling when the socket fails. "poll": never open a socket. */
  mode?: "auto" | "subscribe" | "poll";
  /** Polling interval right after a change (default 1 s). */
  minIntervalMs?: number;
  /** Polling interval ceiling while nothing changes (default 5 s). */
  maxIntervalMs?: number;
  /** Interval growth factor per unchanged poll (default 1.5). */
  growth?: number;
  /** While subscribed, a batched read this often in case an event was lost (default 60 s). */
  safetyReadMs?: number;
  /** Most deployments read by one request (default 100). */
  maxBatch?: number;
  /**
   * How long after a watch starts "Deployment not found" means "not visible yet" (default 15 s):
   * Railway may not find a deployment in its first moments (its own CLI waits 500 ms before
   * subscribing). Within it the deployment is read and subscribed again after a short wait;
   * after it, not found is an error.
   */
  freshGraceMs?: number;
  /**
   * While subscribed, a newly watched deployment is read only when its subscription has not
   * reported it within this time (default 3 s): a subscription answers with the current state,
   * so the read is a safety net, not a request per deployment (issue 14). 0 reads at once.
   */
  addedReadGraceMs?: number;
}

export interface WatchHost {
  readonly endpoint: string;
  authHeaders(): Promise<Record<string, string>>;
  deploymentStatuses(ids: string[]): Promise<Map<string, DeploymentInfo>>;
  /** Waits for the rate limit's pacing, then counts a subscription start as a request. */
  startSubscription(): Promise<void>;
  readonly log: (message: string) => void;
}

export interface WatchCall {
  signal?: AbortSignal;
  onChange?: (d: DeploymentInfo) => void;
  isDone: (d: DeploymentInfo) => boolean;
}

interface Watch {
  ids: string[];
  pending: Set<string>;
  seen: Map<string, string>;
  call: WatchCall;
  resolve: (result: Map<string, DeploymentInfo>) => void;
  reject: (error: unknown) => void;
  detach: () => void;
}

export class DeploymentWatcher {
  readonly #host: WatchHost;
  readonly #mode: "auto" | "subscribe" | "poll";
  readonly #minInterval: number;
  readonly #maxInterval: number;
  readonly #growth: number;
  readonly #safetyRead: number;
  readonly #maxBatch: number;
  readonly #freshGrace: number;

  readonly #latest = new Map<string, DeploymentInfo>();
  readonly #watches = new Set<Watch>();
  /** Ids added since the last read: read at once, whatever the interval. */
  readonly #unread = new Set<string>();
  /** When each unread id was added, and the ids a subscription reported since. */
  readonly #unreadSince = new Map<string, number>();
  readonly #reported = new Set<string>();
  /** Subscriptions still waiting for the rate limit's pacing: their grace has not begun. */
  readonly #notStarted = new Set<string>();
  readonly #addedReadGrace: number;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #socket: Socket | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #lingerTimer: NodeJS.Timeout | undefined;
  /** When each id was first watched, and how often it was found missing since. */
  readonly #firstWatched = new Map<string, number>();
  readonly #notVisible = new Map<string, number>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();

  constructor(host: WatchHost, options: WatchOptions) {
    this.#host = host;
    this.#mode = options.mode ?? "auto";
    this.#minInterval = options.minIntervalMs ?? 1_000;
    this.#maxInterval = options.maxIntervalMs ?? 5_000;
    this.#growth = options.growth ?? 1.5;
    this.#safetyRead = options.safetyReadMs ?? 60_000;
    this.#maxBatch = options.maxBatch ?? 100;
    this.#freshGrace = options.freshGraceMs ?? 15_000;
    this.#addedReadGrace = options.addedReadGraceMs ?? 3_000;
  }

  watch(ids: string[], call: WatchCall): Promise<Map<string, DeploymentInfo>> {
    const unique = [...new Set(ids)];
    return new Promise((resolve, reject) => {
      const watch: Watch = {
        ids: unique,
        pending: new Set(unique),
        seen: new Map(),
        call,
        resolve,
        reject,
        detach: () => {},
      };
      if (unique.length === 0 || call.signal?.aborted) return resolve(new Map());
      const onAbort = () => this.#finish(watch);
      call.signal?.addEventListener("abort", onAbort, { once: true });
      watch.detach = () => call.signal?.removeEventListener("abort", onAbort);
      this.#watches.add(watch);
      clearTimeout(this.#idleTimer);
      // Still subscribed (a lingering subscription) and known: its latest state holds, and the
      // subscription reports what changes; no read, no new subscription.
      const known = unique.filter(
        (id) => this.#socket?.has(id) && !this.#socket.failed && this.#latest.has(id),
      );
      for (const id of unique) {
        if (!known.includes(id)) this.#markUnread(id);
        if (!this.#firstWatched.has(id)) this.#firstWatched.set(id, Date.now());
      }
      if (this.#mode !== "poll") this.#subscribe(unique);
      for (const id of known) this.#observe(this.#latest.get(id) as DeploymentInfo);
      this.#loop ??= this.#run().finally(() => {
        this.#loop = undefined;
      });
      this.#wake?.();
    });
  }

  /** Ends every watch with what it has seen and closes the socket. */
  close(): void {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#lingerTimer);
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    for (const watch of [...this.#watches]) this.#finish(watch);
    this.#socket?.dispose();
    this.#socket = undefined;
  }

  #finish(watch: Watch, error?: unknown): void {
    if (!this.#watches.delete(watch)) return;
    watch.detach();
    if (error !== undefined) {
      watch.reject(error);
    } else {
      const result = new Map<string, DeploymentInfo>();
      for (const id of watch.ids) {
        const d = this.#latest.get(id);
        if (d) result.set(id, d);
      }
      watch.resolve(result);
    }
    this.#unsubscribeUnwatched();
    const pending = this.#pendingIds();
    for (const id of watch.ids) {
      if (!pending.has(id)) {
        this.#firstWatched.delete(id);
        this.#notVisible.delete(id);
        this.#notStarted.delete(id);
      }
    }
    this.#wake?.();
  }

  /**
   * A pending deployment Railway said it cannot find, within the grace after it was first
   * watched: read it (and, when `resubscribe`, subscribe to it) again after a short, growing
   * wait, and answer true. Outside the grace answer false: the caller treats it as an error.
   */
  #retryWhileFresh(id: string, resubscribe: boolean): boolean {
    const since = this.#firstWatched.get(id);
    if (since === undefined || Date.now() - since >= this.#freshGrace) return false;
    if (!this.#pendingIds().has(id)) return true;
    const attempt = this.#notVisible.get(id) ?? 0;
    this.#notVisible.set(id, attempt + 1);
    const delay = Math.min(NOT_VISIBLE_MAX_RETRY_MS, NOT_VISIBLE_FIRST_RETRY_MS * 2 ** attempt);
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      if (!this.#pendingIds().has(id)) return;
      if (resubscribe) this.#subscribe([id]);
      else this.#markUnread(id);
      this.#wake?.();
    }, delay);
    this.#retryTimers.add(timer);
    return true;
  }

  #pendingIds(): Set<string> {
    const ids = new Set<string>();
    for (const watch of this.#watches) for (const id of watch.pending) ids.add(id);
    return ids;
  }

  #observe(d: DeploymentInfo): boolean {
    if (this.#unread.has(d.id)) this.#reported.add(d.id);
    const previous = this.#latest.get(d.id);
    const changed = previous?.status !== d.status;
    this.#latest.set(d.id, d);
    for (const watch of [...this.#watches]) {
      if (!watch.pending.has(d.id)) continue;
      if (watch.seen.get(d.id) !== d.status) {
        watch.seen.set(d.id, d.status);
        watch.call.onChange?.(d);
      }
      if (watch.call.isDone(d)) {
        watch.pending.delete(d.id);
        if (watch.pending.size === 0) this.#finish(watch);
      }
    }
    return changed;
  }

  async #read(ids: string[]): Promise<boolean> {
    let changed = false;
    for (let i = 0; i < ids.length; i += this.#maxBatch) {
      const chunk = ids.slice(i, i + this.#maxBatch);
      try {
        const statuses = await this.#host.deploymentStatuses(chunk);
        for (const d of statuses.values()) changed = this.#observe(d) || changed;
      } catch (error) {
        // A deployment Railway cannot read yet, right after it was created, is read again shortly.
        const notFound = error instanceof RailwayNotFoundError ? error.ids : undefined;
        const notYetVisible = new Set((notFound ?? []).filter((id) => this.#retryWhileFresh(id, false)));
        const missing = notFound ? new Set(notFound.filter((id) => !notYetVisible.has(id))) : undefined;
        if (missing?.size === 0) {
          // Nothing else failed: the rest of this batch is read again at once.
          for (const id of chunk) if (!notYetVisible.has(id)) this.#markUnread(id);
          continue;
        }
        // A deployment Railway cannot read fails the watches that follow it, not the others.
        for (const watch of [...this.#watches]) {
          if (!missing || watch.ids.some((id) => missing.has(id))) this.#finish(watch, error);
        }
        if (!missing) return changed;
      }
    }
    return changed;
  }

  async #run(): Promise<void> {
    // Let watches started in the same tick register, so they share the first read.
    await new Promise((resolve) => setImmediate(resolve));
    let interval = this.#minInterval;
    let announced = false;
    while (this.#watches.size > 0) {
      const socket = this.#socket;
      if (this.#unread.size > 0) {
        const ids = this.#dueUnread(socket !== undefined && !socket.failed);
        if (typeof ids === "number") {
          await this.#sleep(ids);
          continue;
        }
        if (ids.length > 0) {
          await this.#read(ids.filter((id) => this.#pendingIds().has(id)));
          continue;
        }
      }
      if (socket?.failed && !announced) {
        announced = true;
        if (this.#mode === "subscribe") {
          const error = new Error(`Deployment subscriptions failed: ${socket.failed}`);
          for (const watch of [...this.#watches]) this.#finish(watch, error);
          break;
        }
        this.#host.log(`Deployment subscriptions failed (${socket.failed}); polling instead.`);
        interval = this.#minInterval;
        await this.#read([...this.#pendingIds()]);
        continue;
      }
      if (socket && !socket.failed) {
        const woke = await this.#sleep(this.#safetyRead);
        if (!woke && this.#watches.size > 0) await this.#read([...this.#pendingIds()]);
        continue;
      }
      const woke = await this.#sleep(interval);
      if (woke && this.#unread.size > 0) continue;
      if (this.#watches.size === 0) break;
      const changed = await this.#read([...this.#pendingIds()]);
      interval = changed ? this.#minInterval : Math.min(this.#maxInterval, interval * this.#growth);
    }
    // Nothing left to follow. A healthy socket stays open a little for the run's next wave of
    // deployments (unref'd: it never keeps the process alive); a failed one is dropped so the
    // next watch tries subscriptions again.
    const socket = this.#socket;
    if (socket && !socket.failed) {
      this.#idleTimer = setTimeout(() => {
        if (this.#socket === socket && this.#watches.size === 0) {
          socket.dispose();
          this.#socket = undefined;
        }
      }, IDLE_SOCKET_MS);
      this.#idleTimer.unref();
    } else {
      socket?.dispose();
      this.#socket = undefined;
    }
  }

  #markUnread(id: string): void {
    this.#unread.add(id);
    this.#unreadSince.set(id, Date.now());
    this.#reported.delete(id);
  }

  /**
   * The unread ids to read now. Without a healthy socket: all of them. With one: those its
   * subscription has not reported within the grace, or else how long to sleep until the next
   * one is due (a report wakes the sleep early, and the caller looks again).
   */
  #dueUnread(subscribed: boolean): string[] | number {
    const all = [...this.#unread];
    const take = (ids: string[]) => {
      for (const id of ids) {
        this.#unread.delete(id);
        this.#unreadSince.delete(id);
      }
      return ids;
    };
    if (!subscribed || this.#addedReadGrace <= 0) return take(all);
    for (const id of all) if (this.#reported.has(id)) take([id]);
    const now = Date.now();
    const waiting = [...this.#unread].filter((id) => !this.#notStarted.has(id));
    const due = waiting.filter((id) => now - (this.#unreadSince.get(id) ?? 0) >= this.#addedReadGrace);
    if (due.length > 0) return take(due);
    if (this.#unread.size === 0) return [];
    // Only subscriptions still being paced: look again after a grace (a start resets theirs).
    if (waiting.length === 0) return this.#addedReadGrace;
    const next = Math.min(...waiting.map((id) => this.#unreadSince.get(id) ?? now));
    return Math.max(1, next + this.#addedReadGrace - now);
  }

  /** Sleeps up to ms; resolves true when woken early (a change, a new watch, a failure, an abort). */
  #sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), ms);
      const finish = (woke: boolean) => {
        clearTimeout(timer);
        if (this.#wake === wakeUp) this.#wake = undefined;
        resolve(woke);
      };
      const wakeUp = () => finish(true);
      this.#wake = wakeUp;
    });
  }

  #subscribe(ids: string[]): void {
    if (this.#socket?.failed) return;
    this.#socket ??= new Socket(
      this.#host,
      (d) => {
        if (this.#observe(d)) this.#wake?.();
      },
      () => this.#wake?.(),
      (id) => this.#retryWhileFresh(id, true),
      // The grace for a subscription's first report runs from its start, after any pacing.
      (id) => {
        this.#notStarted.delete(id);
        if (this.#unreadSince.has(id)) this.#unreadSince.set(id, Date.now());
      },
    );
    for (const id of ids) {
      if (!this.#socket.has(id)) this.#notStarted.add(id);
      this.#socket.add(id);
    }
  }

  /**
   * Ends the subscriptions no watch needs, after a short linger: a deployment followed again
   * right away (the stability window after SUCCESS) keeps its subscription instead of
   * starting a new one, which Railway counts as a request (issue 14).
   */
  #unsubscribeUnwatched(): void {
    if (!this.#socket) return;
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = setTimeout(() => {
      if (!this.#socket) return;
      const pending = this.#pendingIds();
      for (const id of this.#socket.ids()) if (!pending.has(id)) this.#socket.remove(id);
    }, SUBSCRIPTION_LINGER_MS);
    this.#lingerTimer.unref();
  }
}

/** One graphql-ws connection with one `deployment(id)` subscription per followed deployment. */
class Socket {
  failed: string | undefined;
  readonly #host: WatchHost;
  readonly #onDeployment: (d: DeploymentInfo) => void;
  readonly #onFail: () => void;
  /** A subscription answered "not found": true when the watcher subscribes again later. */
  readonly #onNotFound: (id: string) => boolean;
  /** A subscription is about to be sent (after the rate limit's pacing). */
  readonly #onStarted: (id: string) => void;
  readonly #subscriptions = new Map<string, () => void>();
  #client: Promise<Client> | undefined;
  #disposed = false;

  constructor(
    host: WatchHost,
    onDeployment: (d: DeploymentInfo) => void,
    onFail: () => void,
    onNotFound: (id: string) => boolean,
    onStarted: (id: string) => void,
  ) {
    this.#host = host;
    this.#onDeployment = onDeployment;
    this.#onFail = onFail;
    this.#onNotFound = onNotFound;
    this.#onStarted = onStarted;
  }

  has(id: string): boolean {
    return this.#subscriptions.has(id);
  }

  ids(): string[] {
    return [...this.#subscriptions.keys()];
  }

  #fail(reason: string): void {
    if (this.#disposed || this.failed) return;
    this.failed = reason;
    this.#onFail();
  }

  #connect(): Promise<Client> {
    this.#client ??= this.#host.authHeaders().then((headers) => {
      class AuthenticatedWebSocket extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers });
        }
      }
      return createClient({
        url: this.#host.endpoint.replace(/^http/, "ws"),
        webSocketImpl: AuthenticatedWebSocket,
        connectionParams: headers,
        // Connected from the first subscription until dispose(): the watcher's own idle timer
        // (unref'd) keeps the socket between waves of one run. graphql-ws's lazyCloseTimeout would
        // do the same with a timer that dispose() leaves running, holding the process open for
        // its duration after the report (issue 14).
        lazy: false,
        onNonLazyError: (error) => this.#fail(describe(error)),
        retryAttempts: 0,
        on: {
          closed: (event) => {
            if (this.#subscriptions.size > 0) this.#fail(describe(event));
          },
          error: (error) => this.#fail(describe(error)),
        },
      });
    });
    return this.#client;
  }

  add(id: string): void {
    if (this.#subscriptions.has(id) || this.failed) return;
    let stop: (() => void) | undefined;
    let removed = false;
    this.#subscriptions.set(id, () => {
      removed = true;
      stop?.();
    });
    // "Deployment not found" right after creation: drop this subscription; the watcher subscribes again.
    const failOrRetry = (message: string) => {
      if (isNotFoundMessage(message) && this.#onNotFound(id)) {
        stop?.();
        if (!removed) this.#subscriptions.delete(id);
        removed = true;
      } else this.#fail(message);
    };
    // A subscription start counts against the same per-second and hourly limits as a request.
    Promise.all([this.#connect(), this.#host.startSubscription()]).then(
      ([client]) => {
        if (removed || this.#disposed) return;
        this.#onStarted(id);
        stop = client.subscribe<{ deployment?: Record<string, unknown> }>(
          { query: DeploymentStatusSubscription, variables: { id }, operationName: "DeploymentStatus" },
          {
            next: (result) => {
              if (removed) return;
              if (result.errors?.length) failOrRetry(result.errors.map((e) => e.message).join("; "));
              else if (result.data?.deployment) this.#onDeployment(toDeployment(result.data.deployment));
            },
            error: (error) => {
              if (!removed) failOrRetry(describe(error));
            },
            complete: () => {},
          },
        );
      },
      (error: unknown) => this.#fail(describe(error)),
    );
  }

  remove(id: string): void {
    this.#subscriptions.get(id)?.();
    this.#subscriptions.delete(id);
  }

  dispose(): void {
    this.#disposed = true;
    for (const stop of this.#subscriptions.values()) stop();
    this.#subscriptions.clear();
    void this.#client?.then((c) => c.dispose()).catch(() => {});
  }
}

function describe(error: unknown): string {
  if (Array.isArray(error))
    return error.map((e) => (e as { message?: string }).message ?? String(e)).join("; ");
  if (error instanceof Error) return error.message;
  const e = error as { code?: number; reason?: string; type?: string; message?: string };
  if (e?.message) return e.message;
  if (e?.code) return `socket closed (${e.code}${e.reason ? ` ${e.reason}` : ""})`;
  return e?.type ?? "socket error";
}
