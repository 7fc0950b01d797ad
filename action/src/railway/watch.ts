// Following deployments cheaply (docs/decisions/0043-watching-deployments.md):
// one WebSocket carrying a `deployment(id)` subscription per deployment, with one batched
// read at the start and a slow safety read; when the socket fails, batched polling
// (one request for all pending deployments) with an interval that grows while nothing changes.

import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { toDeployment } from "./client.ts";
import { DeploymentStatusSubscription } from "./operations.ts";
import { sleep } from "./transport.ts";
import type { DeploymentInfo } from "./types.ts";

export interface WatchOptions {
  /** "auto" (default): subscriptions, polling when the socket fails. */
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
}

export interface WatchHost {
  readonly endpoint: string;
  authHeaders(): Promise<Record<string, string>>;
  deploymentStatuses(ids: string[]): Promise<Map<string, DeploymentInfo>>;
  countRequest(): void;
  readonly log: (message: string) => void;
}

export interface WatchCall extends WatchOptions {
  signal?: AbortSignal;
  onChange?: (d: DeploymentInfo) => void;
  isDone: (d: DeploymentInfo) => boolean;
}

export async function watchDeployments(
  host: WatchHost,
  ids: string[],
  options: WatchCall,
): Promise<Map<string, DeploymentInfo>> {
  const { signal, onChange, isDone } = options;
  const minInterval = options.minIntervalMs ?? 1_000;
  const maxInterval = options.maxIntervalMs ?? 5_000;
  const growth = options.growth ?? 1.5;
  const safetyRead = options.safetyReadMs ?? 60_000;
  const maxBatch = options.maxBatch ?? 100;
  const mode = options.mode ?? "auto";

  const latest = new Map<string, DeploymentInfo>();
  const pending = new Set(ids);
  let wake: (() => void) | undefined;

  function observe(d: DeploymentInfo): boolean {
    if (!pending.has(d.id) && latest.has(d.id)) return false;
    const previous = latest.get(d.id);
    latest.set(d.id, d);
    const changed = previous?.status !== d.status;
    if (changed) onChange?.(d);
    if (isDone(d)) {
      pending.delete(d.id);
      subscriptions?.end(d.id);
    }
    if (changed) wake?.();
    return changed;
  }

  async function readAll(): Promise<boolean> {
    let changed = false;
    const list = [...pending];
    for (let i = 0; i < list.length; i += maxBatch) {
      const statuses = await host.deploymentStatuses(list.slice(i, i + maxBatch));
      for (const d of statuses.values()) changed = observe(d) || changed;
    }
    return changed;
  }

  let subscriptions: Subscriptions | undefined;
  if (mode !== "poll" && pending.size > 0) {
    subscriptions = await subscribe(host, [...pending], observe, () => wake?.());
  }
  try {
    await readAll();
    let interval = minInterval;
    let fellBack = false;
    while (pending.size > 0 && !signal?.aborted) {
      if (subscriptions?.failed && !fellBack) {
        fellBack = true;
        if (mode === "subscribe") throw new Error(`Deployment subscriptions failed: ${subscriptions.failed}`);
        host.log(`Deployment subscriptions failed (${subscriptions.failed}); polling instead.`);
        await readAll();
        continue;
      }
      if (subscriptions && !subscriptions.failed) {
        const woke = await waitForWake(safetyRead, signal, (w) => {
          wake = w;
        });
        // Woken by a change, a failure (handled above next turn) or the abort; else a safety read.
        if (!woke && pending.size > 0 && !subscriptions.failed) await readAll();
        continue;
      }
      await sleep(interval, signal);
      if (signal?.aborted) break;
      const changed = await readAll();
      interval = changed ? minInterval : Math.min(maxInterval, interval * growth);
    }
  } finally {
    subscriptions?.dispose();
  }
  return latest;
}

function waitForWake(
  ms: number,
  signal: AbortSignal | undefined,
  setWake: (w: () => void) => void,
): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), ms);
    const onAbort = () => finish(true);
    signal?.addEventListener("abort", onAbort, { once: true });
    function finish(woke: boolean) {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(woke);
    }
    setWake(() => finish(true));
  });
}

interface Subscriptions {
  /** Why the socket failed, once it has. */
  readonly failed: string | undefined;
  end(id: string): void;
  dispose(): void;
}

async function subscribe(
  host: WatchHost,
  ids: string[],
  observe: (d: DeploymentInfo) => void,
  onFail: () => void,
): Promise<Subscriptions> {
  const headers = await host.authHeaders();
  const url = host.endpoint.replace(/^http/, "ws");
  class AuthenticatedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  let failed: string | undefined;
  let disposed = false;
  const fail = (reason: string) => {
    if (disposed || failed) return;
    failed = reason;
    onFail();
  };
  const client = createClient({
    url,
    webSocketImpl: AuthenticatedWebSocket,
    connectionParams: headers,
    lazy: true,
    retryAttempts: 0,
    on: {
      closed: (event) => {
        const e = event as { code?: number; reason?: string };
        fail(`socket closed${e?.code ? ` (${e.code}${e.reason ? ` ${e.reason}` : ""})` : ""}`);
      },
      error: (error) => fail(describe(error)),
    },
  });
  const unsubscribe = new Map<string, () => void>();
  for (const id of ids) {
    host.countRequest();
    const stop = client.subscribe<{ deployment?: Record<string, unknown> }>(
      { query: DeploymentStatusSubscription, variables: { id }, operationName: "DeploymentStatus" },
      {
        next: (result) => {
          if (result.errors?.length) fail(result.errors.map((e) => e.message).join("; "));
          else if (result.data?.deployment) observe(toDeployment(result.data.deployment));
        },
        error: (error) => fail(describe(error)),
        complete: () => {},
      },
    );
    unsubscribe.set(id, stop);
  }
  return {
    get failed() {
      return failed;
    },
    end(id) {
      unsubscribe.get(id)?.();
      unsubscribe.delete(id);
    },
    dispose() {
      disposed = true;
      for (const stop of unsubscribe.values()) stop();
      unsubscribe.clear();
      void client.dispose();
    },
  };
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
