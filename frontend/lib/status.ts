// The shape of the api's GET /api/status answer, and the pure helpers the page uses to
// check and present it. Kept free of React so the tests exercise it directly.

export type HeartbeatStatus = "ok" | "stale" | "missing";

export interface WorkerHeartbeat {
  status: HeartbeatStatus;
  lastHeartbeat: string | null;
}

export interface PriceQuote {
  symbol: string;
  price: number;
  at: string;
}

export interface StackStatus {
  api: { status: string; commit: string | null; uptimeSeconds: number };
  workers: Record<string, WorkerHeartbeat>;
  prices: PriceQuote[];
  orders: { total: number };
}

export type ParsedStatus = { ok: true; status: StackStatus } | { ok: false; problem: string };

/** The workers the page always lists, even when the api does not mention them. */
export const EXPECTED_WORKERS = ["data-poller", "trading-engine"] as const;

const HEARTBEAT_STATUSES: readonly string[] = ["ok", "stale", "missing"];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isIsoTime(value: unknown): value is string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}

/** Checks an /api/status body; a mismatch names the first field that is wrong. */
export function parseStackStatus(body: unknown): ParsedStatus {
  if (!isRecord(body)) return { ok: false, problem: "the body is not a JSON object" };

  const api = body.api;
  if (!isRecord(api) || typeof api.status !== "string") {
    return { ok: false, problem: "api.status is missing" };
  }
  if (api.commit !== null && typeof api.commit !== "string") {
    return { ok: false, problem: "api.commit must be a string or null" };
  }
  if (typeof api.uptimeSeconds !== "number" || !Number.isFinite(api.uptimeSeconds)) {
    return { ok: false, problem: "api.uptimeSeconds must be a number" };
  }

  if (!isRecord(body.workers)) return { ok: false, problem: "workers must be an object" };
  const workers: Record<string, WorkerHeartbeat> = {};
  for (const [name, worker] of Object.entries(body.workers)) {
    if (
      !isRecord(worker) ||
      typeof worker.status !== "string" ||
      !HEARTBEAT_STATUSES.includes(worker.status)
    ) {
      return { ok: false, problem: `workers.${name}.status must be ok, stale or missing` };
    }
    if (worker.lastHeartbeat !== null && !isIsoTime(worker.lastHeartbeat)) {
      return { ok: false, problem: `workers.${name}.lastHeartbeat must be an ISO time or null` };
    }
    workers[name] = {
      status: worker.status as HeartbeatStatus,
      lastHeartbeat: (worker.lastHeartbeat as string | null) ?? null,
    };
  }

  if (!Array.isArray(body.prices)) return { ok: false, problem: "prices must be an array" };
  const prices: PriceQuote[] = [];
  for (const [index, quote] of body.prices.entries()) {
    if (
      !isRecord(quote) ||
      typeof quote.symbol !== "string" ||
      typeof quote.price !== "number" ||
      !Number.isFinite(quote.price) ||
      !isIsoTime(quote.at)
    ) {
      return { ok: false, problem: `prices[${index}] must have a symbol, a numeric price and an ISO time` };
    }
    prices.push({ symbol: quote.symbol, price: quote.price, at: quote.at });
  }

  const orders = body.orders;
  if (!isRecord(orders) || typeof orders.total !== "number" || !Number.isFinite(orders.total)) {
    return { ok: false, problem: "orders.total must be a number" };
  }

  return {
    ok: true,
    status: {
      api: {
        status: api.status,
        commit: (api.commit as string | null) ?? null,
        uptimeSeconds: api.uptimeSeconds,
      },
      workers,
      prices,
      orders: { total: orders.total },
    },
  };
}

/** Expected workers first (missing when absent), then any others the api reports. */
export function listWorkers(status: StackStatus): Array<{ name: string } & WorkerHeartbeat> {
  const names = [
    ...EXPECTED_WORKERS,
    ...Object.keys(status.workers)
      .filter((n) => !isExpected(n))
      .sort(),
  ];
  return names.map((name) => ({
    name,
    ...(status.workers[name] ?? { status: "missing", lastHeartbeat: null }),
  }));
}

function isExpected(name: string): boolean {
  return (EXPECTED_WORKERS as readonly string[]).includes(name);
}

/** "just now", "42s ago", "3m 5s ago", "2h 1m ago"; "never" without a time. */
export function formatAge(iso: string | null, now: number): string {
  if (iso === null) return "never";
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (seconds < 1) return "just now";
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s ago`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h ${minutes % 60}m ago`;
}

/** "59s", "1h 2m 3s": how long the api process has run. */
export function formatUptime(totalSeconds: number): string {
  const seconds = Math.floor(totalSeconds);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

export function formatPrice(price: number): string {
  const digits = Math.abs(price) >= 1 ? 2 : 6;
  return price.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
