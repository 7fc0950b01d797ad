// Source snapshots, build plans and the build cache of the process runner.
// Pure helpers (Dockerfile parsing, cache keys, environments) sit beside the few that touch
// git and the file system, so each can be tested alone.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { InstanceSettings } from "../railway-types.ts";

/** A failure a person can act on; its message goes to the build log as is. */
export class BuildError extends Error {
  override readonly name = "BuildError";
}

// ---------------------------------------------------------------- source snapshots

interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCapture(command: string, args: string[], cwd?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", (error) => resolve({ code: 127, stdout, stderr: error.message }));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The full sha of a commit in repoDir, or a BuildError naming the commit and the repository. */
export async function resolveCommit(repoDir: string, commitSha: string): Promise<string> {
  if (!/^[0-9a-zA-Z._\-/^~]+$/.test(commitSha)) {
    throw new BuildError(`"${commitSha}" is not a commit sha`);
  }
  const result = await runCapture("git", [
    "-C",
    repoDir,
    "rev-parse",
    "--verify",
    "--quiet",
    `${commitSha}^{commit}`,
  ]);
  if (result.code !== 0) {
    throw new BuildError(`commit ${commitSha} does not exist in the repository at ${repoDir}`);
  }
  return result.stdout.trim();
}

/** Extracts the whole tree of a commit (as `git archive` gives it) into dest. */
export async function snapshotCommit(repoDir: string, fullSha: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const git = spawn("git", ["-C", repoDir, "archive", "--format=tar", fullSha], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tar = spawn("tar", ["-x", "-C", dest], { stdio: ["pipe", "ignore", "pipe"] });
    let errors = "";
    git.stderr.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    tar.stderr.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    git.stdout.pipe(tar.stdin);
    git.on("error", reject);
    tar.on("error", reject);
    // Both must have closed: tar can close before git's close event arrives (a race that read
    // as "could not snapshot commit" with no error text under load).
    const closed = (child: import("node:child_process").ChildProcess) =>
      new Promise<number | null>((done) => child.on("close", done));
    void Promise.all([closed(git), closed(tar)]).then(([gitCode, tarCode]) => {
      if (gitCode === 0 && tarCode === 0) resolve();
      else reject(new BuildError(`could not snapshot commit ${fullSha.slice(0, 12)}: ${errors.trim()}`));
    });
  });
}

/** Copies an uploaded source tree (already filtered by the upload endpoint) into dest. */
export async function snapshotUpload(uploadDir: string, dest: string): Promise<void> {
  try {
    await cp(uploadDir, dest, { recursive: true, filter: (src) => path.basename(src) !== ".git" });
  } catch (error) {
    throw new BuildError(`could not copy the uploaded source: ${(error as Error).message}`);
  }
}

/** The service root inside a snapshot; rootDirectory is an absolute repo path such as "/backend". */
export async function serviceRoot(
  snapshotDir: string,
  rootDirectory: string | null | undefined,
): Promise<string> {
  const relative = (rootDirectory ?? "/").replace(/^\/+/, "");
  const root = path.resolve(snapshotDir, relative);
  if (root !== snapshotDir && !root.startsWith(`${snapshotDir}${path.sep}`)) {
    throw new BuildError(`root directory ${rootDirectory} points outside the repository`);
  }
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) {
    throw new BuildError(`root directory ${rootDirectory} does not exist in the source`);
  }
  return root;
}

// ---------------------------------------------------------------- Dockerfiles

export type ImageCommand = { exec: string[] } | { shell: string };

export interface DockerStage {
  name: string | null;
  from: string;
  workdir: string | null;
  env: Record<string, string>;
  entrypoint: ImageCommand | null;
  cmd: ImageCommand | null;
}

/** What the native approximation needs from a Dockerfile: the final stage's command, env and workdir. */
export interface DockerfileSummary {
  stages: DockerStage[];
  final: DockerStage;
}

/** Parses the instructions the native approximation uses; `file` names the Dockerfile in errors. */
export function parseDockerfile(text: string, file: string): DockerfileSummary {
  const stages: DockerStage[] = [];
  for (const { instruction, argument, line } of dockerInstructions(text)) {
    if (instruction === "FROM") {
      const match = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(argument);
      if (!match?.[1]) throw new BuildError(`${file}:${line}: FROM needs an image`);
      const from = match[1];
      const parent = stages.find((stage) => stage.name !== null && stage.name === from.toLowerCase());
      stages.push({
        name: match[2]?.toLowerCase() ?? null,
        from,
        // A stage built FROM an earlier stage inherits its configuration, as in Docker.
        workdir: parent?.workdir ?? null,
        env: { ...(parent?.env ?? {}) },
        entrypoint: parent?.entrypoint ?? null,
        cmd: parent?.cmd ?? null,
      });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (instruction === "ARG") continue; // ARG may precede the first FROM
      throw new BuildError(`${file}:${line}: ${instruction} before the first FROM`);
    }
    switch (instruction) {
      case "CMD":
        stage.cmd = parseImageCommand(argument);
        break;
      case "ENTRYPOINT":
        stage.entrypoint = parseImageCommand(argument);
        // Docker resets CMD inherited from the base when ENTRYPOINT is set.
        stage.cmd = null;
        break;
      case "WORKDIR":
        stage.workdir = path.posix.resolve(stage.workdir ?? "/", argument.trim());
        break;
      case "ENV":
        Object.assign(stage.env, parseEnvInstruction(argument));
        break;
    }
  }
  const final = stages.at(-1);
  if (!final) throw new BuildError(`${file}: no FROM instruction`);
  return { stages, final };
}

function* dockerInstructions(
  text: string,
): Generator<{ instruction: string; argument: string; line: number }> {
  const lines = text.split(/\r?\n/);
  let pending = "";
  let startLine = 0;
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] ?? "";
    const trimmed = raw.trim();
    if (pending === "" && (trimmed === "" || trimmed.startsWith("#"))) continue;
    if (pending !== "" && trimmed.startsWith("#")) continue; // comments inside a continuation
    if (pending === "") startLine = index + 1;
    if (trimmed.endsWith("\\")) {
      pending += `${trimmed.slice(0, -1)} `;
      continue;
    }
    const full = `${pending}${trimmed}`.trim();
    pending = "";
    const match = /^(\S+)\s*(.*)$/s.exec(full);
    if (match?.[1]) yield { instruction: match[1].toUpperCase(), argument: match[2] ?? "", line: startLine };
  }
  if (pending.trim() !== "") {
    const match = /^(\S+)\s*(.*)$/s.exec(pending.trim());
    if (match?.[1]) yield { instruction: match[1].toUpperCase(), argument: match[2] ?? "", line: startLine };
  }
}

export function parseImageCommand(argument: string): ImageCommand {
  const text = argument.trim();
  if (text.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((part) => typeof part === "string")) {
        return { exec: parsed as string[] };
      }
    } catch {
      // Not valid JSON: Docker then treats it as shell form, and so do we.
    }
  }
  return { shell: text };
}

function parseEnvInstruction(argument: string): Record<string, string> {
  const env: Record<string, string> = {};
  const text = argument.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(text)) {
    // Legacy form: ENV KEY value with spaces
    const match = /^(\S+)\s+(.*)$/s.exec(text);
    if (match?.[1]) env[match[1]] = unquote(match[2] ?? "");
    return env;
  }
  const pair = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const match of text.matchAll(pair)) {
    if (match[1]) env[match[1]] = unquote(match[2] ?? "");
  }
  return env;
}

function unquote(value: string): string {
  const text = value.trim();
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2)
    return text.slice(1, -1).replace(/\\(.)/g, "$1");
  if (text.startsWith("'") && text.endsWith("'") && text.length >= 2) return text.slice(1, -1);
  return text;
}

/**
 * The argv that runs the final stage natively: ENTRYPOINT + CMD with Docker's rules, and
 * absolute paths under the image's WORKDIR mapped into the service root.
 */
export function nativeImageCommand(final: DockerStage, serviceRootDir: string): string[] | null {
  const mapPath = (part: string) => {
    const workdir = final.workdir;
    if (workdir && workdir !== "/" && (part === workdir || part.startsWith(`${workdir}/`))) {
      return path.join(serviceRootDir, part.slice(workdir.length));
    }
    return part;
  };
  const asArgv = (command: ImageCommand) => ("exec" in command ? command.exec : ["sh", "-c", command.shell]);
  let argv: string[] | null = null;
  if (final.entrypoint) {
    argv = asArgv(final.entrypoint);
    if ("exec" in final.entrypoint && final.cmd) argv = [...argv, ...asArgv(final.cmd)];
  } else if (final.cmd) {
    argv = asArgv(final.cmd);
  }
  if (!argv || argv.length === 0) return null;
  return argv.map(mapPath);
}

// ---------------------------------------------------------------- package.json

export interface PackageInfo {
  hasLockfile: boolean;
  scripts: Record<string, string>;
}

export async function readPackage(dir: string): Promise<PackageInfo | null> {
  const text = await readFile(path.join(dir, "package.json"), "utf8").catch(() => null);
  if (text === null) return null;
  let scripts: Record<string, string> = {};
  try {
    const parsed = JSON.parse(text) as { scripts?: Record<string, string> };
    scripts = parsed.scripts ?? {};
  } catch {
    throw new BuildError(`${path.basename(dir)}/package.json is not valid JSON`);
  }
  const hasLockfile = (await stat(path.join(dir, "package-lock.json")).catch(() => null)) !== null;
  return { hasLockfile, scripts };
}

/** The install-and-build shell step used when a service declares no build command. */
export function defaultBuildCommand(pkg: PackageInfo | null): string | null {
  if (!pkg) return null;
  const install = pkg.hasLockfile ? "npm ci" : "npm install";
  return pkg.scripts.build ? `${install} && npm run build` : install;
}

// ---------------------------------------------------------------- environments and cache keys

/** The runner's own environment that builds and services may see: tools and TLS roots, no secrets. */
const PASSTHROUGH_ENV = [
  "PATH",
  "HOME",
  "LANG",
  "LC_ALL",
  "TZ",
  "TMPDIR",
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
];

export function baseEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSTHROUGH_ENV) {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  return env;
}

/** Variables that change with every deployment and so must not split the build cache. */
export function isPerDeploymentVariable(name: string): boolean {
  return /^RAILWAY_(DEPLOYMENT_|SNAPSHOT_ID$|REPLICA_)/.test(name);
}

export interface BuildKeyInput {
  source: string;
  rootDirectory: string;
  mode: "native" | "container";
  settings: InstanceSettings;
  variables: Record<string, string>;
}

/**
 * The identity of a build: same source, service root, builder and build-time variables give
 * the same output (Next.js inlines NEXT_PUBLIC_* while building, so variables are part of it).
 */
export function buildCacheKey(input: BuildKeyInput): string {
  const variables = Object.keys(input.variables)
    .filter((name) => !isPerDeploymentVariable(name))
    .sort()
    .map((name) => [name, input.variables[name]]);
  const material = JSON.stringify({
    version: 1,
    source: input.source,
    rootDirectory: input.rootDirectory,
    mode: input.mode,
    builder: input.settings.builder ?? "RAILPACK",
    buildCommand: input.settings.buildCommand ?? null,
    dockerfilePath: input.settings.dockerfilePath ?? null,
    variables,
  });
  return createHash("sha256").update(material).digest("hex").slice(0, 32);
}

/** Where the Dockerfile of a service lives: an absolute path is from the repo root, else from the service root. */
export function dockerfileLocation(
  snapshotDir: string,
  serviceRootDir: string,
  dockerfilePath: string | null | undefined,
): string {
  const file = dockerfilePath ?? "Dockerfile";
  return file.startsWith("/") ? path.join(snapshotDir, file) : path.join(serviceRootDir, file);
}
