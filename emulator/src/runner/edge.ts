// The service domain: a reverse proxy on a stable loopback port that forwards to whichever
// deployment is live, like Railway's edge. With nothing routed, or an upstream that refuses,
// it answers 502 "Application failed to respond" as Railway does.

import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";

const FAILED_TO_RESPOND = "Application failed to respond";

export class EdgeProxy {
  private readonly server: http.Server;
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly upgradeSockets = new Set<net.Socket>();
  private target: { deploymentId: string; port: number } | null = null;

  private constructor(
    readonly port: number,
    server: http.Server,
  ) {
    this.server = server;
  }

  /** Starts a proxy on 127.0.0.1; port 0 picks a free one. */
  static async listen(port = 0): Promise<EdgeProxy> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const edge = new EdgeProxy((server.address() as AddressInfo).port, server);
    server.on("request", (req, res) => edge.forward(req, res));
    server.on("upgrade", (req, socket, head) => edge.forwardUpgrade(req, socket as net.Socket, head));
    return edge;
  }

  get domain(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The deployment currently served, if any. */
  get routedDeployment(): string | null {
    return this.target?.deploymentId ?? null;
  }

  route(deploymentId: string, port: number): void {
    this.target = { deploymentId, port };
  }

  /** Stops routing to a deployment; a no-op when another deployment has taken over since. */
  unroute(deploymentId: string): void {
    if (this.target?.deploymentId === deploymentId) this.target = null;
  }

  async close(): Promise<void> {
    this.target = null;
    for (const socket of this.upgradeSockets) socket.destroy();
    this.agent.destroy();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = this.target;
    if (!target) {
      failedToRespond(res);
      return;
    }
    const headers = { ...req.headers };
    headers["x-forwarded-for"] = appendForwarded(headers["x-forwarded-for"], req.socket.remoteAddress);
    headers["x-forwarded-proto"] ??= "http";
    headers["x-forwarded-host"] ??= req.headers.host ?? this.domain;
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent: this.agent,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, upstreamRes.rawHeaders);
        upstreamRes.pipe(res);
        upstreamRes.on("error", () => res.destroy());
      },
    );
    upstream.on("error", () => {
      // Refused or reset before an answer: Railway's edge page. After headers, cut the response.
      if (!res.headersSent) failedToRespond(res);
      else res.destroy();
    });
    req.pipe(upstream);
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
  }

  private forwardUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const target = this.target;
    if (!target) {
      socket.end(`HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n${FAILED_TO_RESPOND}`);
      return;
    }
    const upstream = net.connect(target.port, "127.0.0.1");
    this.upgradeSockets.add(socket);
    this.upgradeSockets.add(upstream);
    const forget = () => {
      this.upgradeSockets.delete(socket);
      this.upgradeSockets.delete(upstream);
      socket.destroy();
      upstream.destroy();
    };
    upstream.once("connect", () => {
      let requestHead = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        requestHead += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      }
      upstream.write(`${requestHead}\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.once("error", () => {
      if (socket.writable && upstream.bytesRead === 0) {
        socket.end(`HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n${FAILED_TO_RESPOND}`);
      }
      forget();
    });
    socket.once("error", forget);
    socket.once("close", forget);
    upstream.once("close", forget);
  }
}

function failedToRespond(res: http.ServerResponse): void {
  res.writeHead(502, {
    "content-type": "text/plain; charset=utf-8",
    "x-railway-fallback": "true",
  });
  res.end(FAILED_TO_RESPOND);
}

function appendForwarded(existing: string | string[] | undefined, address: string | undefined): string {
  const previous = Array.isArray(existing) ? existing.join(", ") : existing;
  const client = address ?? "127.0.0.1";
  return previous ? `${previous}, ${client}` : client;
}
