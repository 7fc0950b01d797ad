// The story of a deploy, end to end on this machine: the frontend built once (global
// setup) with NEXT_PUBLIC_API_URL and RAILWAY_GIT_COMMIT_SHA, started with `npm start`;
// the real backend api, data-poller and trading-engine on fresh PostgreSQL databases and Redis; a headless
// Chromium loads the page and sees their live data, then the error state once the api stops.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type BackendStack, prepareBackend } from "./support/backend.ts";
import {
  ARTIFACTS_DIR,
  childEnv,
  FRONTEND_DIR,
  freePort,
  type RunningProcess,
  startProcess,
  waitForHttp,
} from "./support/processes.ts";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

interface ApiStatusBody {
  api: { commit: string | null };
  workers: Record<string, { status: string }>;
  prices: Array<{ symbol: string; price: number }>;
  orders: { total: number };
}

const built = inject("builtFrontend");
let frontend: RunningProcess | undefined;
let frontendOrigin = "";

beforeAll(async () => {
  const port = await freePort();
  frontendOrigin = `http://127.0.0.1:${port}`;
  // The runtime environment deliberately disagrees with the build: the served values must
  // still be the ones inlined at build time.
  frontend = startProcess("frontend-start", "npm", ["start", "--", "--hostname", "127.0.0.1"], {
    cwd: FRONTEND_DIR,
    env: childEnv({
      PORT: String(port),
      RAILWAY_GIT_COMMIT_SHA: "runtime-commit-must-not-show",
      NEXT_PUBLIC_API_URL: "http://runtime-api-url-must-not-show.invalid",
    }),
  });
  await waitForHttp(`${frontendOrigin}/healthz`, frontend);
});

afterAll(async () => {
  await frontend?.stop();
});

describe("frontend /healthz", () => {
  it("reports the commit and API URL the bundle was built with, not the runtime environment's", async () => {
    const response = await fetch(`${frontendOrigin}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      status: "ok",
      service: "frontend",
      commit: built.commit,
      apiUrl: built.apiUrl,
      builtAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(Date.parse(String(body.builtAt))).toBeLessThanOrEqual(Date.now());
  });
});

describe("frontend page markup", () => {
  it("serves the status panel in its loading state before any script runs", async () => {
    const response = await fetch(`${frontendOrigin}/`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/<section[^>]*data-testid="stack-status"[^>]*data-api-state="loading"/);
    expect(html).toContain(built.apiUrl);
  });
});

describe("stack status page in a headless Chromium", () => {
  let backend: BackendStack | undefined;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    await backend?.dispose();
  });

  it("shows the error state without an api, then live data from the running api, errors again when it stops, and recovers", async () => {
    if (!built.backend.ok) {
      throw new Error(`the real backend cannot run, so the page cannot be checked: ${built.backend.reason}`);
    }
    const apiCommit = `api-${randomBytes(8).toString("hex")}`;
    backend = await prepareBackend({ corsOrigin: frontendOrigin });
    const apiEnv = { PORT: String(built.apiPort), HOST: "127.0.0.1", RAILWAY_GIT_COMMIT_SHA: apiCommit };

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const statusRequests: string[] = [];
    page.on("request", (request) => {
      if (request.url() === `${built.apiUrl}/api/status`) statusRequests.push(request.url());
    });

    // Nothing listens on the API URL yet: the page says so and invents no data.
    await page.goto(frontendOrigin);
    const panel = page.getByTestId("stack-status");
    await expect.poll(() => panel.getAttribute("data-api-state"), { timeout: 15_000 }).toBe("error");
    await expect(page.getByTestId("api-error").textContent()).resolves.toContain("Cannot reach the API");
    expect(await page.getByTestId("price-row").count()).toBe(0);
    await page.screenshot({
      path: path.join(ARTIFACTS_DIR, "stack-status-never-reached.png"),
      fullPage: true,
    });

    // The api and both workers start; the page picks them up on its next refresh.
    let api = backend.start("api", apiEnv);
    await waitForHttp(`${built.apiUrl}/health`, api);
    await backend.seedAlwaysTradingStrategy("BTC-USD");
    const workers = [
      backend.start("data-poller", { POLL_INTERVAL_MS: "500" }),
      backend.start("trading-engine"),
    ];
    await expect
      .poll(() => panel.getAttribute("data-api-state"), { timeout: 15_000, interval: 250 })
      .toBe("ok");

    // Live data: both workers' heartbeats and the poller's ticks reach the page through the api.
    for (const worker of ["data-poller", "trading-engine"]) {
      await expect.poll(() => workerStatus(page, worker), { timeout: 60_000, interval: 500 }).toBe("ok");
    }
    await expect
      .poll(() => page.getByTestId("price-row").count(), { timeout: 60_000, interval: 500 })
      .toBeGreaterThan(0);
    await expect(page.getByTestId("api-commit").getAttribute("title")).resolves.toBe(apiCommit);

    // What the page lists is what the api answers right now.
    const direct = (await (await fetch(`${built.apiUrl}/api/status`)).json()) as ApiStatusBody;
    expect(direct.api.commit).toBe(apiCommit);
    const apiSymbols = direct.prices.map((quote) => quote.symbol).sort();
    expect(apiSymbols.length).toBeGreaterThan(0);
    await expect.poll(() => pageSymbols(page), { timeout: 10_000 }).toEqual(apiSymbols);
    await expect
      .poll(() => pageOrderTotal(page), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(direct.orders.total);
    // The trading-engine's simulated orders show up too (the seeded strategy trades every tick).
    await expect.poll(() => pageOrderTotal(page), { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);

    // It keeps refreshing on its own: new ticks show up without a reload.
    const requestsSoFar = statusRequests.length;
    const firstPrices = await pagePrices(page);
    await expect.poll(() => pagePrices(page), { timeout: 20_000, interval: 500 }).not.toEqual(firstPrices);
    await expect
      .poll(() => statusRequests.length, { timeout: 15_000, interval: 500 })
      .toBeGreaterThanOrEqual(requestsSoFar + 2);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, "stack-status-ok.png"), fullPage: true });

    // The api goes away: the page says so instead of showing old data as current.
    await api.stop("SIGTERM");
    await expect
      .poll(() => panel.getAttribute("data-api-state"), { timeout: 20_000, interval: 250 })
      .toBe("error");
    await expect(page.getByTestId("api-error").textContent()).resolves.toContain("Cannot reach the API");
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, "stack-status-error.png"), fullPage: true });

    // And it comes back by itself when the api does.
    api = backend.start("api", apiEnv);
    await waitForHttp(`${built.apiUrl}/health`, api);
    await expect
      .poll(() => panel.getAttribute("data-api-state"), { timeout: 20_000, interval: 250 })
      .toBe("ok");
    for (const worker of workers) expect(worker.child.exitCode, worker.name).toBeNull();

    // An api that does not allow this frontend's origin is, for the browser, unreachable.
    await api.stop("SIGTERM");
    api = backend.start("api", { ...apiEnv, CORS_ORIGIN: "https://some-other-frontend.example" });
    await waitForHttp(`${built.apiUrl}/health`, api);
    await expect
      .poll(() => panel.getAttribute("data-api-state"), { timeout: 20_000, interval: 250 })
      .toBe("error");
  });
});

async function workerStatus(page: Page, worker: string): Promise<string | null> {
  const row = page.locator(`[data-testid="worker-row"][data-worker="${worker}"]`);
  return (await row.count()) === 1 ? row.getAttribute("data-status") : null;
}

async function pageSymbols(page: Page): Promise<string[]> {
  const symbols = await page
    .getByTestId("price-row")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-symbol") ?? ""));
  return symbols.sort();
}

async function pagePrices(page: Page): Promise<string[]> {
  return page.getByTestId("price-value").allTextContents();
}

async function pageOrderTotal(page: Page): Promise<number> {
  return Number((await page.getByTestId("orders-total").textContent())?.replaceAll(",", ""));
}
