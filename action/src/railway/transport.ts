// HTTP transport of the Railway client: one POST per GraphQL request, with retries
// (exponential backoff + jitter; Retry-After on 429), rate-limit headers and typed errors.
// Whether a failed request may be repeated is the caller's call (see Replay).

import { Agent, request } from "undici";
import { RailwayApiError, RailwayNetworkError, RailwayRateLimitError } from "./errors.ts";
import type { SecretRegistry } from "./secrets.ts";
import type { RateLimitInfo } from "./types.ts";

export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  maxAttempts?: number;
  /** First backoff delay; doubles each attempt (default 500 ms). */
  baseDelayMs?: number;
  /** Cap of one backoff delay (default 20 s). */
  maxDelayMs?: number;
  /** A 429 whose Retry-After is longer than this fails at once instead of waiting (default 120 s). */
  maxRetryAfterMs?: number;
  /**
   * Requests started in any rolling second, at most (default 10: Railway's Hobby limit, the
   * lowest of the paid plans). Keeps a burst of parallel reads from running into 429s.
   */
  maxPerSecond?: number;
  /**
   * When X-RateLimit-Remaining falls to this share of the hourly limit or below (default 0.05),
   * requests are spread over the time left until the reset (at most 30 s apart) instead of
   * spending the rest of the budget at once and dying at a 429 midway.
   */
  lowBudgetShare?: number;
}

/**
 * The "second" of the per-second limit, with a margin: requests reach Railway a little apart
 * from when they left, and a 429 costs far more than the margin does.
 */
const PACING_WINDOW_MS = 1_200;

/** Longest pause between two requests while the budget runs low. */
const MAX_LOW_BUDGET_SPACING_MS = 30_000;

/**
 * "always": queries and mutations that are safe to repeat.
 * "unsent-only": repeat only when the server surely did not act (429, connection refused);
 * an ambiguous failure (timeout, dropped connection, 5xx) is thrown as RailwayNetworkError{ambiguous: true}.
 */
export type Replay = "always" | "unsent-only";

export interface GraphQLAnswer {
  data: Record<string, unknown> | null;
  /** `code` is the error's extensions.code (Railway's "CONFLICT", "NOT_FOUND", ...), when given. */
  errors: { message: string; path?: (string | number)[]; code?: string }[];
}

// Connection errors that prove the request never reached the server.
const UNSENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "EHOSTUNREACH",
]);

export class Transport {
  readonly rateLimit: RateLimitInfo = {};
  requestCount = 0;
  /** Requests sent, by operation name (diagnostics, benchmarks). */
  readonly requestsByOperation = new Map<string, number>();
  readonly #agent = new Agent({ keepAliveTimeout: 10_000, connect: { timeout: 10_000 } });
  readonly #retry: Required<RetryOptions>;
  /** Start times of the last maxPerSecond requests, in order (pacing). */
  #recent: number[] = [];
  /** Every request waits until then: set by a 429's Retry-After, shared by all. */
  #pausedUntil = 0;
  /** When the last request started (low-budget spacing). */
  #lastStart = 0;
  /** Requests delayed by pacing, and for how long in all (diagnostics, tests, benchmarks). */
  readonly pacing = { delayedRequests: 0, delayedMs: 0 };

  constructor(
    private readonly secrets: SecretRegistry,
    retry: RetryOptions = {},
    private readonly requestTimeoutMs = 30_000,
    private readonly log: (message: string) => void = () => {},
  ) {
    this.#retry = {
      maxAttempts: retry.maxAttempts ?? 5,
      baseDelayMs: retry.baseDelayMs ?? 500,
      maxDelayMs: retry.maxDelayMs ?? 20_000,
      maxRetryAfterMs: retry.maxRetryAfterMs ?? 120_000,
      maxPerSecond: retry.maxPerSecond ?? 10,
      lowBudgetShare: retry.lowBudgetShare ?? 0.05,
    };
  }

  /**
   * Waits until this request may start: after a shared 429 pause, within the per-second
   * limit, and spaced out while the hourly budget runs low. Requests reserve their slot
   * synchronously, so parallel callers queue instead of racing.
   */
  async #pace(): Promise<void> {
    const now = Date.now();
    let at = Math.max(now, this.#pausedUntil);
    const { limit, remaining } = this.rateLimit;
    const resetMs = this.rateLimit.resetAt ? Date.parse(this.rateLimit.resetAt) : Number.NaN;
    if (
      limit !== undefined &&
      remaining !== undefined &&
      remaining <= limit * this.#retry.lowBudgetShare &&
      Number.isFinite(resetMs) &&
      resetMs > now
    ) {
      const spacing = Math.min(MAX_LOW_BUDGET_SPACING_MS, (resetMs - now) / Math.max(1, remaining));
      at = Math.max(at, this.#lastStart + spacing);
    }
    const perSecond = this.#retry.maxPerSecond;
    if (perSecond > 0) {
      // First come, first served: a request starts no earlier than the one before it, and a
      // (padded) second after the one perSecond places before it.
      at = Math.max(at, this.#recent.at(-1) ?? 0);
      const nth =
        this.#recent.length >= perSecond ? this.#recent[this.#recent.length - perSecond] : undefined;
      if (nth !== undefined) at = Math.max(at, nth + PACING_WINDOW_MS);
      this.#recent.push(at);
      if (this.#recent.length > perSecond) this.#recent.splice(0, this.#recent.length - perSecond);
    }
    this.#lastStart = at;
    if (at > now) {
      this.pacing.delayedRequests++;
      this.pacing.delayedMs += at - now;
      await sleep(at - now);
    }
  }

  /** A request made outside this transport (a subscription start): paced and counted like one. */
  async reserve(operation: string): Promise<void> {
    await this.#pace();
    this.#count(operation);
  }

  #count(operation: string): void {
    this.requestCount++;
    this.requestsByOperation.set(operation, (this.requestsByOperation.get(operation) ?? 0) + 1);
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  /** Sends a POST and returns status and body text; retries per `replay`. */
  async post(
    url: string,
    operation: string,
    headers: Record<string, string>,
    body: string | Uint8Array,
    replay: Replay,
  ): Promise<{ status: number; text: string }> {
    const { maxAttempts } = this.#retry;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= maxAttempts;
      let status: number;
      let text: string;
      try {
        await this.#pace();
        this.#count(operation);
        const res = await request(url, {
          method: "POST",
          headers,
          body,
          dispatcher: this.#agent,
          headersTimeout: this.requestTimeoutMs,
          bodyTimeout: this.requestTimeoutMs,
        });
        status = res.statusCode;
        this.#readRateLimit(res.headers);
        text = await res.body.text();
        if (status === 429) {
          const waitMs = parseRetryAfter(res.headers["retry-after"]);
          const seconds = waitMs === undefined ? undefined : Math.ceil(waitMs / 1000);
          if (last || (waitMs ?? 0) > this.#retry.maxRetryAfterMs) {
            throw new RailwayRateLimitError(
              `Railway's rate limit was reached during ${operation}${seconds === undefined ? "" : ` (retry after ${seconds} s)`}. ` +
                "Wait for the hourly budget to refill, or reduce how often the pipeline runs; the remaining budget is shown in the job summary.",
              operation,
              seconds,
            );
          }
          const delay = (waitMs ?? this.#backoff(attempt)) + Math.random() * 250;
          // Every request waits it out, not only this one: the limit is the token's.
          this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + delay);
          this.log(
            `Railway answered 429 to ${operation}; retrying in ${Math.round(delay)} ms (attempt ${attempt + 1}/${maxAttempts})`,
          );
          await sleep(delay);
          continue;
        }
        if (status >= 500) {
          const mayRepeat = replay === "always";
          if (!last && mayRepeat) {
            const delay = this.#backoff(attempt);
            this.log(
              `Railway answered HTTP ${status} to ${operation}; retrying in ${Math.round(delay)} ms (attempt ${attempt + 1}/${maxAttempts})`,
            );
            await sleep(delay);
            continue;
          }
          throw new RailwayNetworkError(
            `Railway answered HTTP ${status} to ${operation}${mayRepeat ? ` after ${attempt} attempts` : ""}. ` +
              "Railway may be having an outage: check https://status.railway.com and run the job again.",
            { operation, ambiguous: true, httpStatus: status },
          );
        }
        return { status, text };
      } catch (error) {
        if (error instanceof RailwayRateLimitError || error instanceof RailwayNetworkError) throw error;
        const code = errorCode(error);
        const unsent = UNSENT_CODES.has(code);
        if (!last && (unsent || replay === "always")) {
          const delay = this.#backoff(attempt);
          this.log(
            `Request ${operation} failed (${code}); retrying in ${Math.round(delay)} ms (attempt ${attempt + 1}/${maxAttempts})`,
          );
          await sleep(delay);
          continue;
        }
        throw new RailwayNetworkError(
          `Could not complete ${operation} with Railway's API (${code}${unsent ? "" : ", the request may have reached Railway"}). ` +
            "Check the network and the endpoint, then run the job again.",
          { operation, ambiguous: !unsent },
        );
      }
    }
  }

  /** POSTs a GraphQL document and parses the answer; HTTP errors other than 429/5xx become RailwayApiError. */
  async graphql(
    url: string,
    operation: string,
    headers: Record<string, string>,
    query: string,
    variables: Record<string, unknown>,
    replay: Replay,
  ): Promise<GraphQLAnswer> {
    const body = JSON.stringify({ query, variables, operationName: operation });
    const { status, text } = await this.post(
      url,
      operation,
      { "content-type": "application/json", accept: "application/json", ...headers },
      body,
      replay,
    );
    let parsed: {
      data?: Record<string, unknown> | null;
      errors?: { message?: unknown; path?: (string | number)[]; extensions?: { code?: unknown } }[];
    };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RailwayApiError(
        `Railway answered ${operation} with HTTP ${status} and a body that is not JSON. Check the endpoint URL.`,
        { operation, httpStatus: status, details: [this.secrets.redact(text.slice(0, 300))] },
      );
    }
    const errors = (parsed.errors ?? []).map((e) => ({
      message: this.secrets.redact(String(e.message ?? "unknown error")),
      path: e.path,
      ...(typeof e.extensions?.code === "string" ? { code: e.extensions.code } : {}),
    }));
    if (status !== 200 && errors.length === 0) {
      throw new RailwayApiError(`Railway answered ${operation} with HTTP ${status}.`, {
        operation,
        httpStatus: status,
      });
    }
    return { data: parsed.data ?? null, errors };
  }

  #backoff(attempt: number): number {
    const exp = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (attempt - 1));
    return exp / 2 + Math.random() * (exp / 2);
  }

  #readRateLimit(headers: Record<string, string | string[] | undefined>): void {
    const limit = numberHeader(headers["x-ratelimit-limit"]);
    const remaining = numberHeader(headers["x-ratelimit-remaining"]);
    const reset = numberHeader(headers["x-ratelimit-reset"]);
    if (limit !== undefined) this.rateLimit.limit = limit;
    if (remaining !== undefined) this.rateLimit.remaining = remaining;
    if (reset !== undefined) {
      // Epoch seconds, epoch milliseconds, or seconds from now.
      const ms = reset > 1e12 ? reset : reset > 1e9 ? reset * 1000 : Date.now() + reset * 1000;
      this.rateLimit.resetAt = new Date(ms).toISOString();
    }
  }
}

function numberHeader(value: string | string[] | undefined): number | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first.trim() === "") return undefined;
  const n = Number(first);
  return Number.isFinite(n) ? n : undefined;
}

/** Retry-After as seconds or an HTTP date, in milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  const seconds = Number(first);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(first);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown }; name?: unknown };
  if (typeof e?.code === "string") return e.code;
  if (typeof e?.cause?.code === "string") return e.cause.code;
  return typeof e?.name === "string" ? e.name : "network error";
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
