import { describeError, type Logger } from "./log.ts";
import type { Redis } from "./redis.ts";

export interface Heartbeat {
  at: string;
  intervalMs: number;
  commit: string | null;
  pid: number;
  [detail: string]: unknown;
}

/** The key lives for this many intervals: between STALE_AFTER and TTL the worker shows as "stale". */
const TTL_INTERVALS = 6;
const STALE_AFTER_INTERVALS = 3;

export type WorkerStatus = "ok" | "stale" | "missing";

export function workerStatus(heartbeat: Heartbeat | undefined, now: Date): WorkerStatus {
  if (heartbeat === undefined) return "missing";
  const age = now.getTime() - Date.parse(heartbeat.at);
  return age <= heartbeat.intervalMs * STALE_AFTER_INTERVALS ? "ok" : "stale";
}

export function parseHeartbeat(raw: string | null): Heartbeat | undefined {
  if (raw === null) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<Heartbeat>;
    if (typeof value.at !== "string" || typeof value.intervalMs !== "number") return undefined;
    return value as Heartbeat;
  } catch {
    return undefined;
  }
}

/**
 * Writes `${prefix}heartbeat:<role>` now and every interval with a TTL; a failed write
 * (Redis restarting) is logged and retried at the next beat.
 */
export function startHeartbeat(options: {
  redis: Redis;
  key: string;
  intervalMs: number;
  commit: string | null;
  log: Logger;
  details?: () => Record<string, unknown>;
}): { stop(): void; beat(): Promise<void> } {
  const beat = async (): Promise<void> => {
    const heartbeat: Heartbeat = {
      ...options.details?.(),
      at: new Date().toISOString(),
      intervalMs: options.intervalMs,
      commit: options.commit,
      pid: process.pid,
    };
    try {
      await options.redis.set(
        options.key,
        JSON.stringify(heartbeat),
        "PX",
        options.intervalMs * TTL_INTERVALS,
      );
    } catch (error) {
      options.log.debug("heartbeat_failed", describeError(error));
    }
  };
  const timer = setInterval(() => void beat(), options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), beat };
}
