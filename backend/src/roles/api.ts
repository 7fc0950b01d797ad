import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApiConfig } from "../config.ts";
import { closeDependencies, type Dependencies, openDependencies } from "../dependencies.ts";
import { withTimeout } from "../errors.ts";
import { parseHeartbeat, startHeartbeat, workerStatus } from "../heartbeat.ts";
import { describeError, type Logger } from "../log.ts";
import { redisKeys } from "../redis.ts";
import { packageVersion } from "../version.ts";
import type { RunningRole } from "./role.ts";

const CHECK_TIMEOUT_MS = 2_000;
const WORKER_ROLES = ["data-poller", "trading-engine"] as const;
const ALLOWED_METHODS = "GET, HEAD, OPTIONS";
const ALLOWED_HEADERS = "Content-Type, Authorization";

type CheckResult = "ok" | "error";

interface Json {
  status: number;
  body: unknown;
}

export async function start(config: ApiConfig, log: Logger, signal: AbortSignal): Promise<RunningRole> {
  const deps = await openDependencies(config, { userDb: true, generalDb: true }, log, signal);
  const keys = redisKeys(config.redisKeyPrefix);
  const startedAt = new Date();
  const version = packageVersion();
  let draining = false;

  const heartbeat = startHeartbeat({
    redis: deps.redis,
    key: keys.heartbeat("api"),
    intervalMs: config.heartbeatIntervalMs,
    commit: config.commit,
    log,
  });
  await heartbeat.beat();

  const routes: Record<string, () => Promise<Json>> = {
    "/health": async () => ({ status: 200, body: { status: "ok" } }),
    "/ready": async () => {
      const checks = await readinessChecks(deps);
      const ready = !draining && Object.values(checks).every((check) => check === "ok");
      return {
        status: ready ? 200 : 503,
        body: { status: ready ? "ready" : draining ? "draining" : "unready", checks },
      };
    },
    "/version": async () => ({
      status: 200,
      body: { service: "api", commit: config.commit, version, startedAt: startedAt.toISOString() },
    }),
    "/api/status": async () => ({
      status: 200,
      body: await stackStatus(deps, config, startedAt, keys.heartbeat),
    }),
  };

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      log.error("request_failed", { path: pathOf(request), ...describeError(error) });
      if (!response.headersSent)
        send(response, request, { status: 503, body: { error: "dependency unavailable" } });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    applyCors(request, response, config.corsOrigins);
    if (request.method === "OPTIONS") {
      response.writeHead(204, {
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": "600",
      });
      response.end();
      return;
    }
    const route = routes[pathOf(request)];
    if (route === undefined) {
      send(response, request, { status: 404, body: { error: "not found" } });
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("Allow", ALLOWED_METHODS);
      send(response, request, { status: 405, body: { error: "method not allowed" } });
      return;
    }
    send(response, request, await route());
  }

  await listen(server, config.port, config.host);
  const address = server.address() as AddressInfo;
  log.info("api_listening", { port: address.port, host: address.address, commit: config.commit, version });

  return {
    async stop() {
      draining = true;
      heartbeat.stop();
      // Stop accepting connections; requests in flight finish. A keep-alive socket turns
      // idle when its response ends, so idle sockets are closed again until none is left.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      await closed.finally(() => clearInterval(sweep));
      await closeDependencies(deps);
    },
  };
}

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? "/";
  const query = url.indexOf("?");
  return query < 0 ? url : url.slice(0, query);
}

function applyCors(request: IncomingMessage, response: ServerResponse, allowed: readonly string[]): void {
  response.setHeader("Vary", "Origin");
  const origin = request.headers.origin;
  if (origin !== undefined && allowed.includes(origin)) {
    response.setHeader("Access-Control-Allow-Origin", origin);
  }
}

function send(response: ServerResponse, request: IncomingMessage, json: Json): void {
  const payload = JSON.stringify(json.body);
  response.writeHead(json.status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(payload),
    "Cache-Control": "no-store",
  });
  response.end(request.method === "HEAD" ? undefined : payload);
}

function listen(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function check(probe: () => Promise<unknown>): Promise<CheckResult> {
  try {
    await withTimeout(probe(), CHECK_TIMEOUT_MS, "readiness check");
    return "ok";
  } catch {
    return "error";
  }
}

async function readinessChecks(
  deps: Dependencies,
): Promise<Record<"userDb" | "generalDb" | "redis", CheckResult>> {
  const [userDb, generalDb, redis] = await Promise.all([
    check(() => requirePool(deps.userDb).query("SELECT 1")),
    check(() => requirePool(deps.generalDb).query("SELECT 1")),
    check(() => deps.redis.ping()),
  ]);
  return { userDb, generalDb, redis };
}

function requirePool<T>(pool: T | undefined): T {
  if (pool === undefined) throw new Error("pool not opened");
  return pool;
}

async function stackStatus(
  deps: Dependencies,
  config: ApiConfig,
  startedAt: Date,
  heartbeatKey: (role: string) => string,
): Promise<unknown> {
  const [rawHeartbeats, prices, orders] = await Promise.all([
    withTimeout(deps.redis.mget(...WORKER_ROLES.map(heartbeatKey)), CHECK_TIMEOUT_MS, "heartbeats"),
    requirePool(deps.generalDb).query<{ symbol: string; price: number; observed_at: Date }>(
      // A skip scan over the (symbol, observed_at) index: one probe per symbol, however
      // many ticks the table holds (DISTINCT ON would read them all).
      `WITH RECURSIVE symbols (symbol) AS (
         (SELECT symbol FROM ticks ORDER BY symbol LIMIT 1)
         UNION ALL
         SELECT (SELECT t.symbol FROM ticks t WHERE t.symbol > s.symbol ORDER BY t.symbol LIMIT 1)
           FROM symbols s WHERE s.symbol IS NOT NULL
       )
       SELECT latest.symbol, latest.price, latest.observed_at
         FROM symbols
         CROSS JOIN LATERAL (
           SELECT symbol, price, observed_at FROM ticks
            WHERE ticks.symbol = symbols.symbol ORDER BY observed_at DESC LIMIT 1
         ) AS latest
        ORDER BY latest.symbol`,
    ),
    requirePool(deps.userDb).query<{ total: number }>("SELECT count(*)::int AS total FROM orders"),
  ]);
  const now = new Date();
  const workers: Record<string, { status: string; lastHeartbeat: string | null }> = {};
  WORKER_ROLES.forEach((role, index) => {
    const heartbeat = parseHeartbeat(rawHeartbeats[index] ?? null);
    workers[role] = { status: workerStatus(heartbeat, now), lastHeartbeat: heartbeat?.at ?? null };
  });
  return {
    api: {
      status: "ok",
      commit: config.commit,
      uptimeSeconds: Math.floor((now.getTime() - startedAt.getTime()) / 1000),
    },
    workers,
    prices: prices.rows.map((row) => ({
      symbol: row.symbol,
      price: row.price,
      at: row.observed_at.toISOString(),
    })),
    orders: { total: orders.rows[0]?.total ?? 0 },
  };
}
