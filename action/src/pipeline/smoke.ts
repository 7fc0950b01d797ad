// Stage 8: the frontend-to-API path works, from the outside, with retries until a deadline.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sleep } from "../railway/transport.ts";
import type { SmokeCheck } from "./types.ts";

/** A deployed service checked without a smoke role: its health check path (or /) answers 2xx. */
export interface GenericTarget {
  service: string;
  url: string;
  path: string;
  /** Compared only when the answer is JSON that reports a commit (see COMMIT_KEYS). */
  expectedCommit?: string;
}

export interface SmokeTargets {
  /** The generic check, for stacks that declare no smoke roles. */
  generic?: GenericTarget[];
  api?: { url: string; versionPath: string; healthPath?: string; expectedCommit?: string };
  frontend?: { url: string; buildInfoPath: string; expectedCommit?: string; expectedApiUrl?: string };
  browserPath?: string;
  deadline: number;
  /** Aborted when the run is interrupted: no further attempt. */
  signal?: AbortSignal;
  /** Pause between attempts. */
  intervalMs?: number;
}

const execFileAsync = promisify(execFile);

export const BROWSER_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** http:// for loopback hosts (the emulator's "127.0.0.1:PORT" domains), https:// otherwise. */
export function urlForDomain(domain: string): string {
  if (/^https?:\/\//.test(domain)) return domain.replace(/\/+$/, "");
  const host = domain.split(":")[0] ?? "";
  const loopback = host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
  return `${loopback ? "http" : "https"}://${domain}`;
}

export function sameCommit(reported: unknown, expected: string): boolean {
  if (typeof reported !== "string" || reported.length < 7) return false;
  const a = reported.toLowerCase();
  const b = expected.toLowerCase();
  return a.startsWith(b) || b.startsWith(a);
}

function sameUrl(a: unknown, b: string): boolean {
  return typeof a === "string" && a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}

/** The keys of a JSON answer read as the commit an app runs (plus `commit.sha`), in this order. */
export const COMMIT_KEYS = ["commit", "commitSha", "sha", "gitCommit", "gitSha"] as const;

/** A short commit for messages: 12 hex digits, never a cut word. */
function shortCommit(commit: unknown): string {
  return typeof commit === "string" && /^[0-9a-f]{7,64}$/i.test(commit)
    ? commit.slice(0, 12)
    : String(commit);
}

/** Text shortened at a word boundary, with an ellipsis: no message is cut mid-word. */
export function clipWords(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max + 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > max / 2 ? cut.slice(0, space) : text.slice(0, max)).trimEnd()}…`;
}

/** The commit a version document reports, whatever it calls it. */
export function reportedCommit(body: unknown): unknown {
  if (!body || typeof body !== "object") return undefined;
  const doc = body as Record<string, unknown>;
  for (const key of COMMIT_KEYS) {
    if (typeof doc[key] === "string") return doc[key];
  }
  if (doc.commit && typeof doc.commit === "object") return (doc.commit as Record<string, unknown>).sha;
  return undefined;
}

class CheckFailed extends Error {}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: "follow" });
  if (!response.ok) throw new CheckFailed(`${url} answered HTTP ${response.status}`);
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new CheckFailed(`${url} did not answer JSON`);
  }
}

const describe = (error: unknown) =>
  error instanceof CheckFailed
    ? error.message
    : `request failed: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`;

async function retry(
  name: string,
  { deadline, signal }: { deadline: number; signal?: AbortSignal },
  intervalMs: number,
  attempt: () => Promise<string>,
): Promise<SmokeCheck> {
  let detail = "not attempted: the deadline had passed";
  let tries = 0;
  do {
    if (signal?.aborted) {
      detail = tries === 0 ? "not attempted: the run was interrupted" : `${detail}; the run was interrupted`;
      break;
    }
    tries += 1;
    try {
      return { name, ok: true, detail: await attempt() };
    } catch (error) {
      detail = describe(error);
    }
    if (Date.now() + intervalMs >= deadline) break;
    await sleep(intervalMs, signal);
  } while (Date.now() < deadline);
  return { name, ok: false, detail: `${detail} (after ${tries} attempt${tries === 1 ? "" : "s"})` };
}

export async function runSmokeTests(targets: SmokeTargets): Promise<SmokeCheck[]> {
  const interval = targets.intervalMs ?? 2000;
  const checks: Promise<SmokeCheck>[] = [];
  const { api, frontend } = targets;
  for (const target of targets.generic ?? []) checks.push(genericCheck(target, targets, interval));
  if (api) {
    const healthPath = api.healthPath ?? "/health";
    checks.push(
      retry(`api ${healthPath}`, targets, interval, async () => {
        const response = await fetch(`${api.url}${healthPath}`, { signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        if (!response.ok) throw new CheckFailed(`${api.url}${healthPath} answered HTTP ${response.status}`);
        return `HTTP ${response.status}`;
      }),
      retry(`api ${api.versionPath}`, targets, interval, async () => {
        const commit = reportedCommit(await getJson(`${api.url}${api.versionPath}`));
        if (commit === undefined)
          return `reports no commit (keys read: ${COMMIT_KEYS.join(", ")}, commit.sha), so the commit is not checked`;
        if (api.expectedCommit && !sameCommit(commit, api.expectedCommit)) {
          throw new CheckFailed(
            `the API runs commit ${shortCommit(commit)}, expected ${api.expectedCommit.slice(0, 12)}`,
          );
        }
        return `serves commit ${shortCommit(commit)}`;
      }),
    );
  }
  if (frontend) {
    checks.push(
      retry(`frontend ${frontend.buildInfoPath}`, targets, interval, async () => {
        const info = (await getJson(`${frontend.url}${frontend.buildInfoPath}`)) as Record<string, unknown>;
        const commit = reportedCommit(info);
        if (commit !== undefined && frontend.expectedCommit && !sameCommit(commit, frontend.expectedCommit)) {
          throw new CheckFailed(
            `the frontend was built from commit ${shortCommit(commit)}, expected ${frontend.expectedCommit.slice(0, 12)}`,
          );
        }
        if (frontend.expectedApiUrl && !sameUrl(info.apiUrl, frontend.expectedApiUrl)) {
          throw new CheckFailed(
            `the frontend was built with API URL ${JSON.stringify(info.apiUrl ?? null)}, but the API is at ${frontend.expectedApiUrl}: set NEXT_PUBLIC_API_URL and redeploy the frontend`,
          );
        }
        return `built from ${commit === undefined ? "an unreported commit" : shortCommit(commit)} for ${String(info.apiUrl)}`;
      }),
    );
  }
  if (api && frontend) {
    const origin = new URL(frontend.url).origin;
    checks.push(
      retry("CORS preflight", targets, interval, async () => {
        const response = await fetch(`${api.url}${api.versionPath}`, {
          method: "OPTIONS",
          headers: { Origin: origin, "Access-Control-Request-Method": "GET" },
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        const allowed = response.headers.get("access-control-allow-origin");
        if (response.status >= 400 || (allowed !== origin && allowed !== "*")) {
          throw new CheckFailed(
            `the API does not allow requests from ${origin} (HTTP ${response.status}, Access-Control-Allow-Origin: ${allowed ?? "absent"}): check CORS_ORIGIN`,
          );
        }
        return `${origin} allowed`;
      }),
    );
  }
  const results = await Promise.all(checks);
  if (frontend && targets.browserPath) results.push(await browserCheck(frontend.url, targets));
  return results;
}

/**
 * The generic check: GET <url><path> answers 2xx. When the answer is JSON that reports a
 * commit (COMMIT_KEYS), it must be the expected one; an app that reports none is not checked for it.
 */
function genericCheck(
  target: GenericTarget,
  timing: { deadline: number; signal?: AbortSignal },
  interval: number,
): Promise<SmokeCheck> {
  const url = `${target.url}${target.path}`;
  return retry(`${target.service} ${target.path} answers 2xx (generic check)`, timing, interval, async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: "follow" });
    const text = await response.text();
    if (response.status < 200 || response.status > 299)
      throw new CheckFailed(`${url} answered HTTP ${response.status}`);
    let commit: unknown;
    try {
      commit = reportedCommit(JSON.parse(text));
    } catch {
      commit = undefined;
    }
    if (commit === undefined || !target.expectedCommit) return `HTTP ${response.status}`;
    if (!sameCommit(commit, target.expectedCommit)) {
      throw new CheckFailed(
        `${url} reports commit ${shortCommit(commit)}, expected ${target.expectedCommit.slice(0, 12)}`,
      );
    }
    return `HTTP ${response.status}, serves commit ${shortCommit(commit)}`;
  });
}

const STACK_STATUS = /<[^>]*data-testid="stack-status"[^>]*>/;

/**
 * Loads the page in headless Chromium without a driver: --virtual-time-budget lets the page's
 * timers and its API call run before --dump-dom prints the DOM. No shell: an argument array.
 */
export async function dumpDomCheck(name: string, url: string, targets: SmokeTargets): Promise<SmokeCheck> {
  const profile = await mkdtemp(join(tmpdir(), "railyard-browser-"));
  try {
    return await retry(name, targets, targets.intervalMs ?? 2000, async () => {
      let dom: string;
      try {
        ({ stdout: dom } = await execFileAsync(
          targets.browserPath as string,
          [...BROWSER_ARGS, `--user-data-dir=${profile}`, "--virtual-time-budget=15000", "--dump-dom", url],
          { timeout: 60_000, maxBuffer: 20 * 1024 * 1024 },
        ));
      } catch (error) {
        throw new CheckFailed(
          `the browser could not load the page: ${(error as Error).message.split("\n")[0]}`,
        );
      }
      const element = STACK_STATUS.exec(dom)?.[0];
      if (!element) throw new CheckFailed("the page did not show a stack status");
      const state = /data-api-state="([^"]*)"/.exec(element)?.[1];
      if (state !== "ok")
        throw new CheckFailed(
          `the page shows the API call ${state === "error" ? "failing" : `still ${state}`}`,
        );
      return "stack-status is ok (headless --dump-dom)";
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

async function browserCheck(url: string, targets: SmokeTargets): Promise<SmokeCheck> {
  const name = "browser loads the frontend and its API call succeeds";
  if (!existsSync(targets.browserPath as string)) {
    return { name, ok: false, detail: `no browser at ${targets.browserPath}` };
  }
  let chromium: typeof import("playwright-core").chromium;
  try {
    // A variable specifier keeps the bundler from inlining playwright-core into the action.
    const specifier = "playwright-core";
    chromium = ((await import(specifier)) as typeof import("playwright-core")).chromium;
  } catch {
    // The bundled action on a runner has no node_modules: the browser's own --dump-dom does the
    // same check without a driver.
    return dumpDomCheck(name, url, targets);
  }
  const browser = await chromium.launch({ executablePath: targets.browserPath, args: BROWSER_ARGS });
  try {
    return await retry(name, targets, targets.intervalMs ?? 2000, async () => {
      const page = await browser.newPage();
      try {
        await page.goto(url, { timeout: 15_000 });
        const status = page.locator(
          '[data-testid="stack-status"][data-api-state="ok"], [data-testid="stack-status"][data-api-state="error"]',
        );
        await status.first().waitFor({ timeout: 15_000 });
        const state = await status.first().getAttribute("data-api-state");
        if (state !== "ok") {
          const text = clipWords((await status.first().textContent())?.trim() ?? "", 200);
          throw new CheckFailed(`the page shows the API call failing${text ? `: ${text}` : ""}`);
        }
        return "stack-status is ok";
      } catch (error) {
        if (error instanceof CheckFailed) throw error;
        throw new CheckFailed(
          `the page did not show a stack status: ${(error as Error).message.split("\n")[0]}`,
        );
      } finally {
        await page.close();
      }
    });
  } finally {
    await browser.close();
  }
}

/** What the generic check needs of a deployed service. */
export interface GenericCandidate {
  service: string;
  url?: string;
  healthcheckPath?: string | null;
  cronSchedule?: string | null;
  expectedCommit?: string;
}

/**
 * The generic smoke test for stacks with no smoke roles: every deployed service with a domain,
 * at its healthcheckPath (or /). Cron jobs run and exit, so they are not checked over HTTP. Says
 * why for every service left out, and when nothing can be checked at all.
 */
export function genericTargets(candidates: GenericCandidate[]): {
  targets: GenericTarget[];
  skipped: SmokeCheck[];
} {
  const targets: GenericTarget[] = [];
  const skipped: SmokeCheck[] = [];
  for (const candidate of candidates) {
    const name = `${candidate.service} (generic check)`;
    if (candidate.cronSchedule) {
      skipped.push({
        name,
        ok: true,
        skipped: true,
        detail: "a cron job runs and exits: not checked over HTTP",
      });
    } else if (!candidate.url) {
      skipped.push({
        name,
        ok: true,
        skipped: true,
        detail:
          "has no domain in Railway, so it cannot be checked from outside (generate a domain to have it checked)",
      });
    } else {
      const declared = candidate.healthcheckPath;
      const path = typeof declared === "string" && declared.startsWith("/") ? declared : "/";
      targets.push({
        service: candidate.service,
        url: candidate.url.replace(/\/+$/, ""),
        path,
        ...(candidate.expectedCommit ? { expectedCommit: candidate.expectedCommit } : {}),
      });
    }
  }
  return { targets, skipped };
}

/** The plan's line about the smoke test when no service declares a smoke role. */
export const GENERIC_SMOKE_NOTE =
  "smoke test: the generic check (no smoke roles declared): every deployed service with a domain must answer 2xx at its healthcheckPath (or /) within the smoke timeout; a JSON answer that reports a commit must report the deployed one";
