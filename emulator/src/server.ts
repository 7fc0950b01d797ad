// The emulator's HTTP front: POST /graphql/v2 (GraphQL), WebSocket on the same path
// (graphql-transport-ws subscriptions), POST /project/{p}/environment/{e}/up (source upload),
// and /_emulator/faults. Every API answer carries X-RateLimit-* headers; faults apply first.
// Latency-true mode (for benchmarks): every API request answers after `requestMs` (half before
// the operation runs, half after, as a round trip), every subscription message reaches the
// client `subscriptionMessageMs` after it was produced, and a per-second limit answers 429 with
// Retry-After like Railway's Hobby plan (10 requests per second) on top of the hourly budget.

import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  execute,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  parse,
  subscribe,
  validate,
} from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { type ApiContext, authenticate, presentedToken } from "./api.ts";
import type { Deployer } from "./deployer.ts";
import { FaultError, type Faults } from "./faults.ts";
import type { ProvisionContext } from "./provision/index.ts";
import type { EmulatorState } from "./state.ts";

const run = promisify(execFile);
export const GRAPHQL_PATH = "/graphql/v2";
const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

/** Delays of the latency-true mode; all zero by default (tests), 100/300 ms model a remote API. */
export interface Latency {
  /** Round trip of one API request (GraphQL POST, upload, WebSocket handshake), in ms. */
  requestMs: number;
  /** From an event on the server to the subscription message reaching the client, in ms. */
  subscriptionMessageMs: number;
}

export const NO_LATENCY: Latency = { requestMs: 0, subscriptionMessageMs: 0 };
/** What `--latency remote` means: a client on GitHub's runners talking to Railway's API. */
export const REMOTE_LATENCY: Latency = { requestMs: 100, subscriptionMessageMs: 300 };

/**
 * Railway's budget per token: an hourly fixed window starting at the token's first request,
 * and (when set) at most `perSecond` requests in any rolling second.
 */
export class RateLimiter {
  readonly #windows = new Map<string, { start: number; used: number; recent: number[] }>();
  constructor(
    readonly perHour: number,
    public perSecond?: number,
  ) {}

  /** Requests (HTTP and subscription starts) counted against this key's current hourly window. */
  used(key: string): number {
    return this.#windows.get(key)?.used ?? 0;
  }

  take(key: string): {
    limit: number;
    remaining: number;
    resetEpochSeconds: number;
    allowed: boolean;
    /** Seconds until a refused request may be sent again. */
    retryAfterSeconds: number;
  } {
    const now = Date.now();
    let window = this.#windows.get(key);
    if (!window || now - window.start >= 3_600_000) {
      window = { start: now, used: 0, recent: window?.recent ?? [] };
      this.#windows.set(key, window);
    }
    window.recent = window.recent.filter((t) => now - t < 1000);
    const resetEpochSeconds = Math.ceil((window.start + 3_600_000) / 1000);
    const hourly = window.used < this.perHour;
    const perSecond = this.perSecond === undefined || window.recent.length < this.perSecond;
    const allowed = hourly && perSecond;
    if (allowed) {
      window.used++;
      window.recent.push(now);
    }
    return {
      limit: this.perHour,
      remaining: Math.max(0, this.perHour - window.used),
      resetEpochSeconds,
      allowed,
      retryAfterSeconds: hourly ? 1 : Math.max(1, resetEpochSeconds - Math.floor(now / 1000)),
    };
  }
}

const pause = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

export interface EmulatorStats {
  /** WebSocket connections accepted since start. */
  webSocketConnections: number;
  /** API requests (GraphQL POSTs and uploads) since start. */
  httpRequests: number;
  /** Subscriptions started since start. */
  subscriptions: number;
}

export interface EmulatorServer {
  url: string;
  stats: EmulatorStats;
  /** Requests counted against this token's hourly budget (what X-RateLimit-Remaining subtracts). */
  budgetUsed(token: string): number;
  /** Changes the per-second limit for the next requests (undefined: none). */
  setRateLimitPerSecond(perSecond: number | undefined): void;
  close(): Promise<void>;
}

export async function startServer(options: {
  state: EmulatorState;
  deployer: Deployer;
  /** Real databases, services and volumes for change-set resource.create / resource.delete. */
  provision?: ProvisionContext;
  faults: Faults;
  schema: GraphQLSchema;
  rootValue: Record<string, unknown>;
  port: number;
  workDir: string;
  log: (line: string) => void;
  /** Latency-true mode; none by default. Read on every request: change its fields to change it. */
  latency?: Latency;
  /** Requests per second per token (Railway Hobby: 10); unlimited when absent. */
  rateLimitPerSecond?: number;
}): Promise<EmulatorServer> {
  const { state, deployer, provision, faults, schema, rootValue, workDir, log } = options;
  const latency = options.latency ?? NO_LATENCY;
  const limiter = new RateLimiter(state.rateLimitPerHour, options.rateLimitPerSecond);
  const sockets = new Set<Socket>();
  const stats: EmulatorStats = { webSocketConnections: 0, httpRequests: 0, subscriptions: 0 };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      log(`internal error: ${error.message}`);
      if (!res.headersSent) json(res, 500, { errors: [{ message: "Internal server error" }] });
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/_emulator/faults") return handleFaults(req, res);
    if (url.pathname === "/_emulator/health") return json(res, 200, { ok: true });
    const upload = /^\/project\/([^/]+)\/environment\/([^/]+)\/up$/.exec(url.pathname);
    if (url.pathname !== GRAPHQL_PATH && !upload) return json(res, 404, { message: "Not found" });
    if (req.method !== "POST") return json(res, 405, { message: "Use POST" });
    stats.httpRequests++;
    if (latency.requestMs > 0) {
      // Half the round trip on the way in (before the operation runs), half on the way back.
      await pause(latency.requestMs / 2);
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
      let pending: unknown[] | undefined;
      res.writeHead = ((...args: unknown[]) => {
        pending = args;
        return res;
      }) as typeof res.writeHead;
      res.end = ((...args: unknown[]) => {
        setTimeout(() => {
          if (pending) writeHead(...pending);
          end(...args);
        }, latency.requestMs / 2);
        return res;
      }) as typeof res.end;
    }

    // Rate limit first: Railway counts every request, good or bad.
    const budget = limiter.take(presentedToken(req.headers) ?? `anonymous:${req.socket.remoteAddress}`);
    res.setHeader("X-RateLimit-Limit", String(budget.limit));
    res.setHeader("X-RateLimit-Remaining", String(budget.remaining));
    res.setHeader("X-RateLimit-Reset", String(budget.resetEpochSeconds));
    if (!budget.allowed) {
      res.setHeader("Retry-After", String(budget.retryAfterSeconds));
      return json(res, 429, { errors: [{ message: "Rate limit exceeded" }] });
    }

    const body = await readBody(req, upload ? MAX_UPLOAD_BYTES : 10 * 1024 * 1024);
    if (body === "too-large") return json(res, 413, { message: "Request body too large" });

    let operations: string[] = upload ? ["up"] : [];
    let request: { query?: unknown; variables?: unknown; operationName?: unknown } = {};
    if (!upload) {
      try {
        request = JSON.parse(body.toString("utf8"));
      } catch {
        return json(res, 400, { errors: [{ message: "Request body is not valid JSON" }] });
      }
      operations = operationNames(request);
    }

    const fault = faults.takeHttp(operations);
    if (fault?.kind === "delay") await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === "drop" && !fault.afterExecute) return void req.socket.destroy();
    if (fault?.kind === "status" && !fault.afterExecute)
      return faultAnswer(res, fault.status, fault.retryAfterSeconds);

    const answer = upload
      ? await handleUpload(
          req,
          body,
          decodeURIComponent(upload[1] ?? ""),
          decodeURIComponent(upload[2] ?? ""),
          url,
        )
      : await executeGraphQL(req, request);

    if (fault?.kind === "drop") return void req.socket.destroy();
    if (fault?.kind === "status") return faultAnswer(res, fault.status, fault.retryAfterSeconds);
    json(res, answer.status, answer.body);
  }

  async function executeGraphQL(
    req: IncomingMessage,
    request: { query?: unknown; variables?: unknown; operationName?: unknown },
  ): Promise<{ status: number; body: unknown }> {
    if (typeof request.query !== "string")
      return { status: 400, body: { errors: [{ message: "Must provide query string." }] } };
    let document: ReturnType<typeof parse>;
    try {
      document = parse(request.query);
    } catch (error) {
      return { status: 400, body: { errors: [{ message: (error as Error).message }] } };
    }
    const errors = validate(schema, document);
    if (errors.length > 0) return { status: 400, body: { errors: errors.map((e) => e.toJSON()) } };
    const operation = document.definitions.find(
      (d): d is OperationDefinitionNode =>
        d.kind === Kind.OPERATION_DEFINITION &&
        (typeof request.operationName !== "string" || d.name?.value === request.operationName),
    );
    if (operation?.operation === "subscription") {
      return {
        status: 400,
        body: { errors: [{ message: "Subscriptions are served over WebSocket on this path" }] },
      };
    }
    const contextValue: ApiContext = { auth: authenticate(state, req.headers), state, deployer, provision };
    const result = await execute({
      schema,
      document,
      rootValue,
      contextValue,
      variableValues: (request.variables ?? undefined) as Record<string, unknown> | undefined,
      operationName: typeof request.operationName === "string" ? request.operationName : undefined,
    });
    const body: Record<string, unknown> = {};
    if (result.errors) body.errors = result.errors.map((e) => e.toJSON());
    if ("data" in result) body.data = result.data ?? null;
    // No data at all means the request itself was bad (e.g. variables of the wrong type).
    return { status: result.data === undefined ? 400 : 200, body };
  }

  async function handleUpload(
    req: IncomingMessage,
    body: Buffer,
    projectId: string,
    environmentId: string,
    url: URL,
  ): Promise<{ status: number; body: unknown }> {
    const auth = authenticate(state, req.headers);
    const serviceId = url.searchParams.get("serviceId") ?? "";
    const allowed =
      auth &&
      (auth.kind === "project"
        ? auth.project === projectId && auth.environment === environmentId
        : (auth.projects === undefined || auth.projects.includes(projectId)) && !auth.readOnly);
    if (!allowed) return { status: 403, body: { message: "Not Authorized" } };
    const instance = state.instance(serviceId, environmentId);
    if (!serviceId || !instance || state.service(serviceId)?.projectId !== projectId) {
      return {
        status: 400,
        body: { message: "Service not found in this project and environment (serviceId query parameter)" },
      };
    }
    if (body.length === 0) return { status: 400, body: { message: "Empty upload: send a gzip tarball" } };
    const dir = join(workDir, "uploads", randomUUID());
    await mkdir(dir, { recursive: true });
    const tarball = `${dir}.tar.gz`;
    try {
      await writeFile(tarball, body);
      await run("tar", ["-xzf", tarball, "-C", dir, "--no-same-owner"]);
    } catch {
      await rm(dir, { recursive: true, force: true });
      return { status: 400, body: { message: "The upload is not a valid gzip tarball" } };
    } finally {
      await rm(tarball, { force: true });
    }
    try {
      const record = deployer.deployUpload(environmentId, serviceId, dir);
      const domain = instance.serviceDomain ?? null;
      return {
        status: 200,
        body: {
          deploymentId: record.id,
          url: `${new URL(GRAPHQL_PATH, `http://${req.headers.host}`).origin}/project/${projectId}/service/${serviceId}?id=${record.id}`,
          logsUrl: `${new URL(GRAPHQL_PATH, `http://${req.headers.host}`).origin}/project/${projectId}/logs?deploymentId=${record.id}`,
          deploymentDomain: domain,
        },
      };
    } catch (error) {
      return { status: 400, body: { message: (error as Error).message } };
    }
  }

  async function handleFaults(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === "GET") return json(res, 200, faults.list());
    if (req.method === "DELETE") {
      faults.clear();
      return json(res, 200, faults.list());
    }
    if (req.method !== "POST") return json(res, 405, { message: "Use GET, POST or DELETE" });
    const body = await readBody(req, 1024 * 1024);
    if (body === "too-large") return json(res, 413, { message: "Too large" });
    try {
      const parsed = JSON.parse(body.toString("utf8")) as {
        http?: never[];
        deployment?: never[];
        clear?: boolean;
      };
      if (parsed.clear) faults.clear();
      faults.add(parsed);
      return json(res, 200, faults.list());
    } catch (error) {
      const message =
        error instanceof FaultError
          ? error.message
          : 'Body must be JSON: {"http": [...], "deployment": [...]}';
      return json(res, 400, { message });
    }
  }

  // Subscriptions over WebSocket on the GraphQL path.
  const wss = new WebSocketServer({ noServer: true });
  const wsAuth = new WeakMap<object, ReturnType<typeof authenticate>>();
  const disposeWs = useServer<Record<string, unknown>>(
    {
      schema,
      // Our own graphql functions: under a bundler graphql-ws may load a second copy of graphql.
      parse,
      validate,
      execute,
      subscribe,
      onConnect: (ctx) => {
        const headers = { ...ctx.extra.request.headers, ...lowerKeys(ctx.connectionParams ?? {}) };
        const auth = authenticate(state, headers);
        if (!auth) return false;
        wsAuth.set(ctx, auth);
        return true;
      },
      onSubscribe: (ctx) => {
        stats.subscriptions++;
        limiter.take(
          presentedToken({ ...ctx.extra.request.headers, ...lowerKeys(ctx.connectionParams ?? {}) }) ?? "ws",
        );
      },
      context: (ctx): ApiContext => ({ auth: wsAuth.get(ctx) ?? null, state, deployer, provision }),
    },
    wss,
    12_000,
  );
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== GRAPHQL_PATH || faults.takeWebSocketRefusal()) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    stats.webSocketConnections++;
    // The handshake costs a round trip; every message the server sends afterwards reaches the
    // client subscriptionMessageMs after it was produced, in order.
    const accept = () =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (latency.subscriptionMessageMs > 0) delayOutgoing(ws, latency.subscriptionMessageMs);
        wss.emit("connection", ws, req);
      });
    if (latency.requestMs > 0) setTimeout(accept, latency.requestMs);
    else accept();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    budgetUsed: (token) => limiter.used(token),
    setRateLimitPerSecond: (perSecond) => {
      limiter.perSecond = perSecond;
    },
    async close() {
      await disposeWs.dispose();
      for (const client of wss.clients) client.terminate();
      wss.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Holds every message `ws` sends for `ms` (order kept); a socket closed meanwhile drops them. */
function delayOutgoing(ws: import("ws").WebSocket, ms: number): void {
  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  ws.send = ((...args: unknown[]) => {
    setTimeout(() => {
      if (ws.readyState === ws.OPEN) send(...args);
    }, ms);
  }) as typeof ws.send;
}

function lowerKeys(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k.toLowerCase()] = v;
  return out;
}

/** operationName plus the root field names of the document, for fault targeting. */
function operationNames(request: { query?: unknown; operationName?: unknown }): string[] {
  const names: string[] = [];
  if (typeof request.operationName === "string") names.push(request.operationName);
  if (typeof request.query !== "string") return names;
  try {
    for (const def of parse(request.query).definitions) {
      if (def.kind !== Kind.OPERATION_DEFINITION) continue;
      if (def.name) names.push(def.name.value);
      for (const sel of def.selectionSet.selections) if (sel.kind === Kind.FIELD) names.push(sel.name.value);
    }
  } catch {
    // A document that does not parse is answered with a syntax error later.
  }
  return names;
}

function faultAnswer(res: ServerResponse, status: number, retryAfterSeconds?: number): void {
  if (status === 429) res.setHeader("Retry-After", String(retryAfterSeconds ?? 1));
  const message =
    status === 429
      ? "Rate limit exceeded"
      : status === 502
        ? "Bad Gateway"
        : status === 503
          ? "Service Unavailable"
          : "Internal Server Error";
  json(res, status, { errors: [{ message }] });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too-large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? "too-large" : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
