// The driverless browser check (what the bundled action uses on a runner without node_modules),
// in the real headless Chromium against a page whose script calls an API, both on loopback.
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dumpDomCheck } from "./smoke.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
let api: Server;
let page: Server;
let apiUp = true;

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  api = createServer((_, res) => {
    res.writeHead(apiUp ? 200 : 503, {
      "content-type": "application/json",
      "access-control-allow-origin": "*",
    });
    res.end(JSON.stringify({ api: { status: apiUp ? "ok" : "down" } }));
  });
  const apiUrl = await listen(api);
  // Like the frontend: the state starts as "loading" and the page's own script settles it later.
  page = createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<main data-testid="stack-status" data-api-state="loading">status</main><script>
      setTimeout(() => fetch(${JSON.stringify(`${apiUrl}/api/status`)})
        .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(() => { document.querySelector("main").dataset.apiState = "ok"; })
        .catch(() => { document.querySelector("main").dataset.apiState = "error"; }), 300);
    </script>`);
  });
  await listen(page);
});

afterAll(() => {
  api?.close();
  page?.close();
});

const targets = () => ({ browserPath: CHROMIUM, deadline: Date.now() + 20_000, intervalMs: 200 });
const pageUrl = () => `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;

describe("the driverless browser check", () => {
  it("passes when the page's own API call succeeds", async () => {
    apiUp = true;
    const check = await dumpDomCheck("browser", pageUrl(), targets());
    expect(check).toMatchObject({ ok: true });
  }, 60_000);

  it("fails, saying so, when the page shows the API call failing", async () => {
    apiUp = false;
    const check = await dumpDomCheck("browser", pageUrl(), { ...targets(), deadline: Date.now() + 3_000 });
    expect(check.ok).toBe(false);
    expect(check.detail).toContain("the page shows the API call failing");
  }, 60_000);
});
