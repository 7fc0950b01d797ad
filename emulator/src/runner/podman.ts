// The emulator's container engine: builds and runs DOCKERFILE services with podman, the same way
// the container proof (scripts/container-test.mjs) builds and runs the backend image.
// Machine facts behind the flags (docs/decisions/0070-podman-on-this-machine.md): runc, not
// crun; host networking; explicit ulimits this VM allows; chroot isolation for builds; the base
// image is a local stand-in built by scripts/container/base-image.mjs; `npm ci` in a build gets
// the host's registry and CA bundle through read-only mounts instead of Dockerfile changes.
// Variable values never reach a command line: they go through a 0600 env file that is deleted
// as soon as the container is created (or, for multi-line values, podman's own environment).

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ContainerEngine, ContainerProcess } from "./types.ts";

export class PodmanError extends Error {
  override name = "PodmanError";
}

interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PodmanEngineOptions {
  /** The podman executable (default "podman" on PATH). */
  podman?: string;
  /**
   * Makes sure the base image exists; default: `node scripts/container/base-image.mjs` from this
   * repository. Resolves to false when it cannot be ensured.
   */
  ensureBaseImage?: () => Promise<boolean>;
  /** Where the short-lived env files are written (default: the OS temp folder). */
  tempDir?: string;
}

const BUILD_CA_PATH = "/usr/local/etc/railyard-ca-certificates.crt";
// conmon runs with RLIMIT_NPROC 32768 and runc may not raise a limit (no CAP_SYS_RESOURCE).
const NPROC_CEILING = 32768;

function hardLimit(limits: string, name: string): number | undefined {
  const match = limits.match(new RegExp(`^${name}\\s+\\S+\\s+(\\d+|unlimited)`, "m"));
  return match?.[1] && match[1] !== "unlimited" ? Number(match[1]) : undefined;
}

export function ulimitArgs(): string[] {
  let limits = "";
  try {
    limits = readFileSync("/proc/self/limits", "utf8");
  } catch {
    // not Linux: let podman choose
    return [];
  }
  const nofile = hardLimit(limits, "Max open files") ?? 1024;
  const nproc = Math.min(hardLimit(limits, "Max processes") ?? NPROC_CEILING, NPROC_CEILING);
  return ["--ulimit", `nofile=${nofile}:${nofile}`, "--ulimit", `nproc=${nproc}:${nproc}`];
}

/** Lines of an env file podman reads verbatim (KEY=VALUE); multi-line values cannot be written there. */
export function splitEnvironment(env: Record<string, string>): { fileLines: string[]; inherited: string[] } {
  const fileLines: string[] = [];
  const inherited: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new PodmanError(`invalid variable name "${name}"`);
    if (/[\r\n]/.test(value)) inherited.push(name);
    else fileLines.push(`${name}=${value}`);
  }
  return { fileLines, inherited };
}

function defaultEnsureBaseImage(): Promise<boolean> {
  const script = resolve(
    dirname(fileURLToPath(import.meta.url)),
    "../../../scripts/container/base-image.mjs",
  );
  if (!existsSync(script)) return Promise.resolve(false);
  return new Promise((done) => {
    const child = spawn(process.execPath, [script], { stdio: "ignore" });
    child.on("error", () => done(false));
    child.on("close", (code) => done(code === 0));
  });
}

export class PodmanEngine implements ContainerEngine {
  private readonly podmanPath: string;
  private readonly ensureBase: () => Promise<boolean>;
  private readonly tempDir: string;
  private availability: Promise<boolean> | undefined;

  constructor(options: PodmanEngineOptions = {}) {
    this.podmanPath = options.podman ?? "podman";
    this.ensureBase = options.ensureBaseImage ?? defaultEnsureBaseImage;
    this.tempDir = options.tempDir ?? tmpdir();
  }

  available(): Promise<boolean> {
    this.availability ??= (async () => {
      const podman = await this.exec(["--version"], { global: false });
      if (podman.code !== 0) return false;
      const runc = await runCommand("runc", ["--version"]);
      if (runc.code !== 0) return false;
      return this.ensureBase();
    })();
    return this.availability;
  }

  async buildImage(options: {
    contextDir: string;
    dockerfile: string;
    tag: string;
    log: (line: string) => void;
    signal?: AbortSignal;
  }): Promise<void> {
    const mounts = npmBuildMounts();
    try {
      const args = [
        "build",
        "--pull=never",
        "--isolation",
        "chroot",
        "--network",
        "host",
        ...mounts.args,
        "-f",
        resolve(options.contextDir, options.dockerfile),
        "-t",
        options.tag,
        options.contextDir,
      ];
      const tail: string[] = [];
      const result = await this.exec(args, {
        signal: options.signal,
        onLine: (line) => {
          tail.push(line);
          if (tail.length > 20) tail.shift();
          options.log(line);
        },
      });
      if (options.signal?.aborted) throw new PodmanError(`build of ${options.tag} was cancelled`);
      if (result.code !== 0) {
        const step = [...tail].reverse().find((line) => line.startsWith("Error:")) ?? tail.at(-1) ?? "";
        throw new PodmanError(`podman build of ${options.tag} failed (exit ${result.code}): ${step}`);
      }
    } finally {
      mounts.cleanup();
    }
  }

  run(options: {
    image: string;
    name: string;
    env: Record<string, string>;
    command?: string[];
    log: (line: string, stream: "stdout" | "stderr") => void;
  }): ContainerProcess {
    const state = { stopRequested: false };
    const exited = this.createAndStart(options, state);
    // A failed create is reported as the exit code; the error text is already in the log.
    const code = exited.then(
      (value) => value,
      (error: unknown) => {
        options.log(error instanceof Error ? error.message : String(error), "stderr");
        return 125;
      },
    );
    return {
      exited: code,
      stop: async (signal, graceMs) => {
        state.stopRequested = true;
        const args =
          signal === "SIGKILL"
            ? ["kill", "--signal", "KILL", options.name]
            : ["stop", "--time", String(Math.max(0, Math.ceil(graceMs / 1000))), options.name];
        await this.exec(args);
        await code;
      },
    };
  }

  private async createAndStart(
    options: {
      image: string;
      name: string;
      env: Record<string, string>;
      command?: string[];
      log: (line: string, stream: "stdout" | "stderr") => void;
    },
    state: { stopRequested: boolean },
  ): Promise<number> {
    const { fileLines, inherited } = splitEnvironment(options.env);
    const dir = mkdtempSync(join(this.tempDir, "railyard-env-"));
    const envFile = join(dir, "env");
    let created: CommandResult;
    try {
      writeFileSync(envFile, fileLines.length > 0 ? `${fileLines.join("\n")}\n` : "", { mode: 0o600 });
      const childEnv: NodeJS.ProcessEnv = { ...process.env };
      for (const name of inherited) childEnv[name] = options.env[name];
      created = await this.exec(
        [
          "create",
          "--replace",
          "--name",
          options.name,
          "--network",
          "host",
          ...ulimitArgs(),
          "--env-file",
          envFile,
          ...inherited.flatMap((name) => ["--env", name]),
          options.image,
          ...(options.command ?? []),
        ],
        { env: childEnv },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (created.code !== 0) {
      throw new PodmanError(
        `podman create ${options.name} failed: ${created.stderr.trim().split("\n").at(-1)}`,
      );
    }
    if (state.stopRequested) {
      // stopped before it started: never start it (143: as if SIGTERM had ended it)
      await this.exec(["rm", "--force", "--ignore", options.name]);
      return 143;
    }
    const started = await this.exec(["start", "--attach", options.name], {
      onLine: (line, stream) => options.log(line, stream),
    });
    // `podman start --attach` exits with the container's code; read it back in case attach broke.
    const inspected = await this.exec(["inspect", "--format", "{{.State.ExitCode}}", options.name]);
    await this.exec(["rm", "--force", "--ignore", options.name]);
    const recorded = Number(inspected.stdout.trim());
    return inspected.code === 0 && Number.isInteger(recorded) ? recorded : started.code;
  }

  private exec(
    args: string[],
    options: {
      global?: boolean;
      env?: NodeJS.ProcessEnv;
      signal?: AbortSignal;
      onLine?: (line: string, stream: "stdout" | "stderr") => void;
    } = {},
  ): Promise<CommandResult> {
    const full = options.global === false ? args : ["--runtime", "runc", ...args];
    return runCommand(this.podmanPath, full, options);
  }
}

function runCommand(
  command: string,
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    signal?: AbortSignal;
    onLine?: (line: string, stream: "stdout" | "stderr") => void;
  } = {},
): Promise<CommandResult> {
  return new Promise((done) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, { env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      done({ code: 127, stdout: "", stderr: String(error) });
      return;
    }
    const output = { stdout: "", stderr: "" };
    const partial = { stdout: "", stderr: "" };
    const collect = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      const text = chunk.toString();
      output[stream] += text;
      if (!options.onLine) return;
      const lines = (partial[stream] + text).split("\n");
      partial[stream] = lines.pop() ?? "";
      for (const line of lines) options.onLine(line, stream);
    };
    child.stdout?.on("data", collect("stdout"));
    child.stderr?.on("data", collect("stderr"));
    const abort = () => child.kill("SIGTERM");
    options.signal?.addEventListener("abort", abort, { once: true });
    child.on("error", (error) => {
      options.signal?.removeEventListener("abort", abort);
      done({ code: 127, stdout: output.stdout, stderr: output.stderr + error.message });
    });
    child.on("close", (code) => {
      options.signal?.removeEventListener("abort", abort);
      for (const stream of ["stdout", "stderr"] as const) {
        if (partial[stream] && options.onLine) options.onLine(partial[stream], stream);
      }
      done({ code: code ?? 128, stdout: output.stdout, stderr: output.stderr });
    });
  });
}

/** The host's npm registry and CA bundle for `npm ci` inside a build (see scripts/container/podman.mjs). */
function npmBuildMounts(): { args: string[]; cleanup: () => void } {
  const cafile =
    npmConfig("cafile") ??
    process.env.NODE_EXTRA_CA_CERTS ??
    (existsSync("/etc/ssl/certs/ca-certificates.crt") ? "/etc/ssl/certs/ca-certificates.crt" : undefined);
  const registry = npmConfig("registry") ?? "https://registry.npmjs.org/";
  const dir = mkdtempSync(join(tmpdir(), "railyard-npmrc-"));
  const npmrc = join(dir, "npmrc");
  writeFileSync(npmrc, `registry=${registry}\n${cafile ? `cafile=${BUILD_CA_PATH}\n` : ""}`, { mode: 0o644 });
  const args = ["-v", `${npmrc}:/usr/local/etc/npmrc:ro`];
  // Dockerfiles such as backend/Dockerfile may take the bundle as the build secret "npm_ca".
  if (cafile) args.push("-v", `${cafile}:${BUILD_CA_PATH}:ro`, "--secret", `id=npm_ca,src=${cafile}`);
  return { args, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// npm's settings are read from the environment and npmrc files without spawning npm (slow).
function npmConfig(key: "cafile" | "registry"): string | undefined {
  const fromEnv = process.env[`npm_config_${key}`] ?? process.env[`NPM_CONFIG_${key.toUpperCase()}`];
  if (fromEnv) return fromEnv;
  const files = [
    join(process.env.HOME ?? "/root", ".npmrc"),
    "/usr/etc/npmrc",
    "/etc/npmrc",
    "/usr/local/etc/npmrc",
  ];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const match = readFileSync(file, "utf8").match(
      new RegExp(`^\\s*${key}\\s*=\\s*"?([^"\\n]+?)"?\\s*$`, "m"),
    );
    if (match?.[1]) return match[1];
  }
  return undefined;
}
