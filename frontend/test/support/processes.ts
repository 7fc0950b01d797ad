// Real child processes for the tests: started in their own process group (npm start →
// sh → next), logged to test/artifacts/, stopped by their own group id only.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const FRONTEND_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BACKEND_DIR = path.resolve(FRONTEND_DIR, "..", "backend");
export const ARTIFACTS_DIR = path.join(FRONTEND_DIR, "test", "artifacts");

/** The parent's environment without vitest's NODE_ENV=test, which Next.js refuses to build under. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...extra };
  delete env.NODE_ENV;
  return env;
}

/** Asks the kernel for a free loopback port. The port is released before use, so it can race. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): RunningProcess {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const log = createWriteStream(path.join(ARTIFACTS_DIR, `${name}.log`));
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true });
  let tail = "";
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    tail = (tail + chunk.toString("utf8")).slice(-8_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code, signal) => {
      log.end();
      resolve(code ?? (signal ? null : 0));
    });
    child.once("error", (error) => {
      keep(Buffer.from(`spawn failed: ${error.message}\n`));
      resolve(-1);
    });
  });
  let exitedYet = false;
  void exited.then(() => {
    exitedYet = true;
  });
  return {
    name,
    child,
    exited,
    output: () => tail,
    async stop(signal = "SIGTERM") {
      if (!exitedYet && child.pid !== undefined) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // The group is already gone.
        }
        const timer = setTimeout(() => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
          } catch {
            // Already gone.
          }
        }, 15_000);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

/** Runs a command to completion; resolves with its exit code and combined output. */
export async function runToEnd(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number | null; output: string; ms: number }> {
  const started = performance.now();
  const running = startProcess(name, command, args, options);
  const code = await running.exited;
  return { code, output: running.output(), ms: Math.round(performance.now() - started) };
}

/** Polls `url` until it answers 2xx; fails early if the process serving it exits. */
export async function waitForHttp(
  url: string,
  server: RunningProcess,
  timeoutMs = 60_000,
): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.exited.then(() => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`${server.name} exited before ${url} answered:\n${server.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return response;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer within ${timeoutMs}ms:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
