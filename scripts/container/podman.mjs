// Running podman (and other commands) from the container scripts. Only Node's built-ins.
// Every podman invocation goes through here so the machine-specific flags live in one place:
// runc instead of crun (crun fails on this kernel's cgroup v1 setup), host networking (the only
// network the checks need is loopback PostgreSQL/Redis and the npm registry), explicit ulimits
// (see ulimitArgs), chroot isolation for builds (no nested namespaces).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const RUNTIME_ARGS = ["--runtime", "runc"];
export const BUILD_ARGS = ["--pull=never", "--isolation", "chroot", "--network", "host"];

// This VM withholds CAP_SYS_RESOURCE, so runc may only lower rlimits, and conmon runs with an
// RLIMIT_NPROC hard limit of 32768 (podman lowers its own). Podman's defaults and even
// `--ulimit host` (which copies this shell's 96365) ask for more and runc fails with
// "error setting rlimit type 6/7: operation not permitted". So pass what is allowed: this
// process's open-file limit and at most 32768 processes.
const NPROC_CEILING = 32768;
export function ulimitArgs() {
  const limits = (() => {
    try {
      return readFileSync("/proc/self/limits", "utf8");
    } catch {
      return "";
    }
  })();
  const hard = (name) => {
    const match = limits.match(new RegExp(`^${name}\\s+\\S+\\s+(\\d+|unlimited)`, "m"));
    return match?.[1] && match[1] !== "unlimited" ? Number(match[1]) : undefined;
  };
  const nofile = hard("Max open files") ?? 1024;
  const nproc = Math.min(hard("Max processes") ?? NPROC_CEILING, NPROC_CEILING);
  return ["--ulimit", `nofile=${nofile}:${nofile}`, "--ulimit", `nproc=${nproc}:${nproc}`];
}

export function runArgs() {
  return ["--network", "host", ...ulimitArgs()];
}

/** Runs a command to completion; returns its exit code, output and duration. Never throws on a non-zero exit. */
export function run(command, args, { log, input, env, cwd, timeoutMs } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd,
      env: env ?? process.env,
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const lines = { stdout: "", stderr: "" };
    const onData = (stream) => (chunk) => {
      const text = chunk.toString();
      if (stream === "stdout") stdout += text;
      else stderr += text;
      if (!log) return;
      lines[stream] += text;
      const parts = lines[stream].split("\n");
      lines[stream] = parts.pop() ?? "";
      for (const line of parts) log(line, stream);
    };
    child.stdout.on("data", onData("stdout"));
    child.stderr.on("data", onData("stderr"));
    if (input !== undefined) child.stdin.end(input);
    const timer = timeoutMs ? setTimeout(() => child.kill("SIGKILL"), timeoutMs) : undefined;
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + error.message, ms: performance.now() - started });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (log) for (const stream of ["stdout", "stderr"]) if (lines[stream]) log(lines[stream], stream);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: performance.now() - started });
    });
  });
}

export function podman(args, options) {
  return run("podman", [...RUNTIME_ARGS, ...args], options);
}

export function hasCommand(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

export async function imageExists(name) {
  return (await podman(["image", "exists", name])).code === 0;
}

/** The machine's npm registry and CA bundle, so `npm ci` inside a build reaches the same registry. */
export function hostNpmSettings() {
  const get = (key) => {
    const result = spawnSync("npm", ["config", "get", key], { encoding: "utf8" });
    const value = result.status === 0 ? result.stdout.trim() : "";
    return value && value !== "null" && value !== "undefined" ? value : undefined;
  };
  return {
    registry: get("registry") ?? "https://registry.npmjs.org/",
    cafile: get("cafile") ?? process.env.NODE_EXTRA_CA_CERTS,
  };
}

/**
 * Volume arguments that give a build's `npm ci` the host's registry and CA bundle without
 * touching the Dockerfile. Both land in /usr/local/etc, which exists in the node images: the
 * npmrc at npm's global config path (/usr/local/etc/npmrc for npm under /usr/local), read
 * whichever user the Dockerfile runs npm as; the bundle beside it. A mount whose target does not
 * exist leaves an empty file or folder behind in the layer, so nothing is mounted at a path the
 * base image lacks (e.g. /etc/ssl/certs in the slim image). Call cleanup() after the build.
 */
export function npmBuildMounts() {
  const { registry, cafile } = hostNpmSettings();
  const dir = mkdtempSync(join(tmpdir(), "railyard-npmrc-"));
  const npmrc = join(dir, "npmrc");
  const lines = [`registry=${registry}`];
  if (cafile) lines.push(`cafile=${BUILD_CA_PATH}`);
  writeFileSync(npmrc, `${lines.join("\n")}\n`, { mode: 0o644 });
  const args = ["-v", `${npmrc}:/usr/local/etc/npmrc:ro`];
  // backend/Dockerfile also accepts the bundle as the build secret "npm_ca" (never written to a layer).
  if (cafile) args.push("-v", `${cafile}:${BUILD_CA_PATH}:ro`, "--secret", `id=npm_ca,src=${cafile}`);
  return { args, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const BUILD_CA_PATH = "/usr/local/etc/railyard-ca-certificates.crt";

export const seconds = (ms) => Math.round(ms / 100) / 10;
