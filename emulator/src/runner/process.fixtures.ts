// Fixture apps for the process runner's tests: a git repository created at test time holding a
// tiny node HTTP service (/health, /pid, /env, /echo), a variant with a Dockerfile, and one
// whose build fails. Nothing here is a stand-in: the runner builds and runs these for real.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DeploymentStatus } from "../railway-types.ts";
import type { DeploymentSink, DeploymentSpec } from "./types.ts";

const SERVER_JS = `
const http = require("node:http");
const fs = require("node:fs");
const built = fs.existsSync("dist/built.txt") ? fs.readFileSync("dist/built.txt", "utf8").trim() : "unbuilt";
if (process.env.IGNORE_SIGTERM) process.on("SIGTERM", () => console.log("ignoring SIGTERM"));
if (process.env.EXIT_AT_START) process.exit(Number(process.env.EXIT_AT_START));
if (process.env.EXIT_AFTER_MS) setTimeout(() => process.exit(Number(process.env.EXIT_CODE ?? 0)), Number(process.env.EXIT_AFTER_MS));
const version = "__VERSION__";
const server = http.createServer((req, res) => {
  if (req.url === "/health") return res.end("ok");
  if (req.url === "/pid") return res.end(String(process.pid));
  if (req.url === "/env") return res.end(JSON.stringify(process.env));
  if (req.method === "POST" && req.url === "/echo") return req.pipe(res);
  if (req.url !== "/") { res.statusCode = 404; return res.end("not found"); }
  res.end(\`\${process.env.GREETING ?? "hello"} \${version} built=\${built}\`);
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening on " + process.env.PORT));
`;

const BUILD_JS = `
const fs = require("node:fs");
console.log("building with mark " + (process.env.BUILD_MARK ?? "none"));
fs.mkdirSync("dist", { recursive: true });
const leak = process.env.RAILYARD_RUNNER_SECRET ? "+leaked" : "";
fs.writeFileSync("dist/built.txt", (process.env.BUILD_MARK ?? "none") + (process.env.CI === "true" ? "+ci" : "") + leak);
`;

const DOCKERFILE = `# syntax=docker/dockerfile:1
FROM node:20-slim AS build
WORKDIR /app
COPY . .
RUN npm install && npm run build

FROM node:20-slim
WORKDIR /app
# Applied at runtime by the native approximation too
ENV GREETING=from-dockerfile \\
    NODE_ENV=production
COPY --from=build /app /app
CMD ["node", "/app/server.js"]
`;

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function git(repo: string, ...args: string[]): string {
  return execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();
}

export interface FixtureRepo {
  dir: string;
  /** The commit with version "v1" of the app. */
  v1: string;
  /** The next commit: the app answers "v2". */
  v2: string;
}

export function createFixtureRepo(): FixtureRepo {
  const dir = mkdtempSync(path.join(tmpdir(), "railyard-runner-repo-"));
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.email", "runner-test@example.invalid");
  git(dir, "config", "user.name", "runner test");
  const appPackage = JSON.stringify(
    { name: "fixture-app", private: true, scripts: { build: "node build.js", start: "node server.js" } },
    null,
    2,
  );
  write(path.join(dir, "app/package.json"), appPackage);
  write(path.join(dir, "app/build.js"), BUILD_JS);
  write(path.join(dir, "app/server.js"), SERVER_JS.replace("__VERSION__", "v1"));
  write(path.join(dir, "app/Dockerfile"), DOCKERFILE);
  write(
    path.join(dir, "app/migrate.js"),
    `require("node:fs").writeFileSync(process.env.MIGRATION_MARKER, "migrated");\n`,
  );
  write(
    path.join(dir, "broken/package.json"),
    JSON.stringify(
      {
        name: "fixture-broken",
        private: true,
        scripts: { build: `node -e "console.error('error TS2322: fixture compile error'); process.exit(2)"` },
      },
      null,
      2,
    ),
  );
  git(dir, "add", ".");
  git(dir, "commit", "-q", "-m", "v1");
  const v1 = git(dir, "rev-parse", "HEAD");
  write(path.join(dir, "app/server.js"), SERVER_JS.replace("__VERSION__", "v2"));
  git(dir, "commit", "-q", "-am", "v2");
  const v2 = git(dir, "rev-parse", "HEAD");
  return { dir, v1, v2 };
}

export interface RecordedEvent {
  step: string;
  status: string;
  message?: string;
}

/** A sink that keeps everything the runner reported, with a way to wait for a status. */
export class RecordingSink implements DeploymentSink {
  readonly statuses: DeploymentStatus[] = [];
  readonly events: RecordedEvent[] = [];
  readonly buildLines: string[] = [];
  readonly deployLines: string[] = [];
  /** Instance statuses, in order (deploymentInstanceExecutions). */
  readonly instances: string[] = [];
  private waiters: (() => void)[] = [];

  instance(status: string): void {
    this.instances.push(status);
    this.notify();
  }

  status(status: DeploymentStatus): void {
    this.statuses.push(status);
    this.notify();
  }
  buildLog(message: string): void {
    this.buildLines.push(message);
    this.notify();
  }
  deployLog(message: string): void {
    this.deployLines.push(message);
    this.notify();
  }
  event(step: string, status: "STARTED" | "SUCCEEDED" | "FAILED", message?: string): void {
    this.events.push({ step, status, message });
    this.notify();
  }

  get last(): DeploymentStatus | undefined {
    return this.statuses.at(-1);
  }

  /** Resolves when `done` holds, or rejects after timeoutMs with what was seen so far. */
  until(done: (sink: RecordingSink) => boolean, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done(this)) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((waiter) => waiter !== check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        reject(
          new Error(
            `timed out; statuses ${this.statuses.join(",")}\nbuild:\n${this.buildLines.join("\n")}\ndeploy:\n${this.deployLines.join("\n")}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  untilStatus(status: DeploymentStatus, timeoutMs?: number): Promise<void> {
    return this.until((sink) => sink.statuses.includes(status), timeoutMs);
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

let counter = 0;

export function fixtureSpec(repo: FixtureRepo, overrides: Partial<DeploymentSpec> = {}): DeploymentSpec {
  counter += 1;
  return {
    deploymentId: `dep-${process.pid}-${counter}`,
    projectId: "proj-1",
    environmentId: "env-1",
    environmentName: "production",
    serviceId: "svc-app",
    serviceName: "app",
    commitSha: repo.v1,
    repoDir: repo.dir,
    settings: {
      builder: "RAILPACK",
      rootDirectory: "/app",
      buildCommand: "node build.js",
      startCommand: "node server.js",
      healthcheckPath: "/health",
    },
    variables: { GREETING: "hi", BUILD_MARK: "m1" },
    ...overrides,
  };
}

/**
 * Processes, as `ps` sees them, whose id or process group is among those given. Zombies awaiting
 * init's reaping are left out: they run nothing and hold no port.
 */
export function livingProcesses(pids: number[]): number[] {
  const table = execFileSync("ps", ["-eo", "pid=,pgid=,stat="], { encoding: "utf8" });
  const alive = new Set<number>();
  for (const line of table.split("\n")) {
    const [pidText, pgidText, state] = line.trim().split(/\s+/);
    if (state === undefined || state.startsWith("Z")) continue;
    const pid = Number(pidText);
    const pgid = Number(pgidText);
    if (pids.includes(pid)) alive.add(pid);
    if (pids.includes(pgid)) alive.add(pid);
  }
  return [...alive];
}

export async function httpGet(domain: string, urlPath: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${domain}${urlPath}`);
  return { status: response.status, body: await response.text() };
}
