// The edge proxy over real sockets: Railway's 502 page when nothing answers, forwarding with
// streamed bodies and forwarded headers, switching routes, and WebSocket-style upgrades.

import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EdgeProxy } from "./edge.ts";
import { freePort } from "./process.ts";

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function upstream(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  server.on("upgrade", (_req, socket) => {
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function edgeProxy(): Promise<EdgeProxy> {
  const edge = await EdgeProxy.listen(0);
  closers.push(() => edge.close());
  return edge;
}

describe("EdgeProxy", () => {
  it("answers 502 'Application failed to respond' with no deployment routed or a refusing upstream", async () => {
    const edge = await edgeProxy();
    const unrouted = await fetch(`http://${edge.domain}/anything`);
    expect(unrouted.status).toBe(502);
    expect(await unrouted.text()).toBe("Application failed to respond");

    edge.route("dep-1", await freePort());
    const refused = await fetch(`http://${edge.domain}/`);
    expect(refused.status).toBe(502);
    expect(await refused.text()).toBe("Application failed to respond");
  });

  it("forwards method, path, headers and a streamed body, and adds X-Forwarded headers", async () => {
    const port = await upstream((req, res) => {
      res.setHeader("x-seen-path", req.url ?? "");
      res.setHeader(
        "x-seen-forwarded",
        `${req.headers["x-forwarded-for"]}|${req.headers["x-forwarded-proto"]}`,
      );
      res.statusCode = 201;
      req.pipe(res);
    });
    const edge = await edgeProxy();
    edge.route("dep-1", port);
    const body = "chunk-".repeat(100_000);
    const response = await fetch(`http://${edge.domain}/echo?x=1`, { method: "PUT", body });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-seen-path")).toBe("/echo?x=1");
    expect(response.headers.get("x-seen-forwarded")).toBe("127.0.0.1|http");
    expect(await response.text()).toBe(body);
  });

  it("switches to the newly routed deployment and ignores an unroute from the replaced one", async () => {
    const first = await upstream((_req, res) => res.end("first"));
    const second = await upstream((_req, res) => res.end("second"));
    const edge = await edgeProxy();
    edge.route("dep-1", first);
    expect(await (await fetch(`http://${edge.domain}/`)).text()).toBe("first");
    edge.route("dep-2", second);
    edge.unroute("dep-1");
    expect(edge.routedDeployment).toBe("dep-2");
    expect(await (await fetch(`http://${edge.domain}/`)).text()).toBe("second");
    edge.unroute("dep-2");
    expect((await fetch(`http://${edge.domain}/`)).status).toBe(502);
  });

  it("tunnels upgraded connections to the upstream", async () => {
    const port = await upstream((_req, res) => res.end());
    const edge = await edgeProxy();
    edge.route("dep-1", port);
    const socket = net.connect(edge.port, "127.0.0.1");
    closers.push(async () => {
      socket.destroy();
    });
    socket.write(`GET /ws HTTP/1.1\r\nHost: ${edge.domain}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`);
    let received = "";
    await new Promise<void>((resolve) => {
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString();
        if (received.includes("\r\n\r\n") && !received.includes("ping")) socket.write("ping");
        if (received.endsWith("ping")) resolve();
      });
    });
    expect(received.startsWith("HTTP/1.1 101")).toBe(true);
  });
});
