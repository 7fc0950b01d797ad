// Generates and mutates railway.toml inputs and runs each through the config path in a child
// process (test/fuzz/child.ts) with a per-input timeout. Deterministic for a given seed, so a
// run can be repeated exactly. See docs/decisions/0081-config-fuzzing.md.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import TOML from "@iarna/toml";
import type { FuzzAnswer, FuzzRequest } from "./child.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const FIXTURE_DIR = join(REPO_ROOT, "test/fixtures/fuzz");
/** The config fixtures of the repository's own tests: seeds that every clone has. */
const CONFIG_FIXTURE_DIR = join(REPO_ROOT, "test/fixtures/config");
const CHILD_SCRIPT = join(import.meta.dirname, "child.ts");

// ---------------------------------------------------------------- randomness

/** mulberry32: small, fast and good enough to pick mutations reproducibly. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(items.length)] as T;
  }
}

// ---------------------------------------------------------------- seeds

export interface Seed {
  name: string;
  format: "toml" | "json";
  content: Buffer;
}

/**
 * Seeds: the repository's own railway.toml files and config fixtures, always; the public
 * corpus of real configs (TOML and JSON) only when a folder is given (`npm run fuzz -- --corpus
 * DIR`). `npm test` replays in-repo seeds only, so a clone needs nothing beside it.
 */
export function loadSeeds(corpusDir?: string): { seeds: Seed[]; notes: string[] } {
  const seeds: Seed[] = [];
  const notes: string[] = [];
  if (corpusDir !== undefined) {
    const tomlDir = join(corpusDir, "toml");
    const jsonDir = join(corpusDir, "json");
    if (!existsSync(tomlDir) && !existsSync(jsonDir))
      notes.push(
        `corpus ${corpusDir} has no toml/ or json/ folder: seeding from the repository's files only`,
      );
    for (const [dir, format] of [
      [tomlDir, "toml"],
      [jsonDir, "json"],
    ] as const) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir).sort()) {
        seeds.push({ name: `corpus/${format}/${name}`, format, content: readFileSync(join(dir, name)) });
      }
    }
  }
  for (const file of repoConfigFiles(REPO_ROOT)) {
    seeds.push({ name: relative(REPO_ROOT, file), format: "toml", content: readFileSync(file) });
  }
  for (const folder of ["valid", "invalid", "syntax"]) {
    const dir = join(CONFIG_FIXTURE_DIR, folder);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const format = name.endsWith(".json") ? "json" : name.endsWith(".toml") ? "toml" : undefined;
      if (format === undefined) continue;
      seeds.push({
        name: relative(REPO_ROOT, join(dir, name)),
        format,
        content: readFileSync(join(dir, name)),
      });
    }
  }
  return { seeds, notes };
}

function repoConfigFiles(dir: string, depth = 0): string[] {
  if (depth > 5) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".") || entry.name === "dist") continue;
    const path = join(dir, entry.name);
    if (path === FIXTURE_DIR) continue;
    if (entry.isDirectory()) found.push(...repoConfigFiles(path, depth + 1));
    else if (entry.name.endsWith(".toml") && entry.name.includes("railway")) found.push(path);
  }
  return found.sort();
}

// ---------------------------------------------------------------- generation

const BUILDERS = [
  "RAILPACK",
  "DOCKERFILE",
  "NIXPACKS",
  "HEROKU",
  "PAKETO",
  "nixpacks",
  "DOCKER",
  "dockerfile",
];
const RESTART = ["ON_FAILURE", "ALWAYS", "NEVER", "on_failure", "on-failure", "SOMETIMES"];
const ENV_NAMES = ["production", "pr", "staging", "pr-42", "", "production.deploy", "ünïcode"];
const SERVICE_NAMES = [
  "api",
  "data-poller",
  "trading-engine",
  "frontend",
  "web",
  "worker",
  "",
  "a b",
  "💥",
  "x".repeat(300),
];
const VARIABLE_NAMES = [
  "DATABASE_URL",
  "REDIS_URL",
  "CONTAINER_ROLE",
  "lower_case",
  "1BAD",
  "",
  "A-B",
  "NEXT_PUBLIC_API_URL",
];
const CRONS = ["*/5 * * * *", "0 0 * * *", "* * * * *", "61 * * * *", "not a cron", "@daily", ""];
const UNICODE = ["é", "😀", "\u202e", "\u0301", "\u2028", "\ufeff", "漢字", "\u200b", "𝕏"];

function randomWrongValue(random: Random): TOML.AnyJson {
  switch (random.int(11)) {
    case 0:
      return random.int(2_000_000_000) - 1_000_000_000;
    case 1:
      return random.next() * 1e6;
    case 2:
      return random.chance(0.5);
    case 3:
      return [1, "two", 3].slice(0, random.int(4)) as unknown as TOML.AnyJson;
    case 4:
      return { nested: { deeper: random.int(10) } };
    case 5:
      return "x".repeat(random.int(5000));
    case 6:
      return random.pick(UNICODE).repeat(1 + random.int(20));
    case 7:
      return new Date(Date.UTC(2026, random.int(12), 1 + random.int(28))) as unknown as TOML.AnyJson;
    case 8:
      return -1;
    case 9:
      return 0;
    default:
      return "";
  }
}

function maybeWrong<T extends TOML.AnyJson>(random: Random, good: () => T): TOML.AnyJson {
  return random.chance(0.2) ? randomWrongValue(random) : good();
}

function randomBuild(random: Random): TOML.JsonMap {
  const build: TOML.JsonMap = {};
  if (random.chance(0.6)) build.builder = maybeWrong(random, () => random.pick(BUILDERS));
  if (random.chance(0.4)) build.buildCommand = maybeWrong(random, () => "npm ci && npm run build");
  if (random.chance(0.3))
    build.dockerfilePath = maybeWrong(random, () =>
      random.pick(["Dockerfile", "../Dockerfile", "/x/Dockerfile"]),
    );
  if (random.chance(0.4))
    build.watchPatterns = maybeWrong(random, () =>
      ["/src/**", "!/src/**/*.md", "[", "**/*.{ts,tsx}", "\\!literal"].slice(0, 1 + random.int(5)),
    );
  if (random.chance(0.1)) build[random.pick(["watchPaths", "context", "dockerContext"])] = "x";
  return build;
}

function randomDeploy(random: Random): TOML.JsonMap {
  const deploy: TOML.JsonMap = {};
  if (random.chance(0.5)) deploy.startCommand = maybeWrong(random, () => "node dist/main.js");
  if (random.chance(0.3))
    deploy.preDeployCommand = maybeWrong(random, () =>
      random.chance(0.5) ? "node dist/migrate.js" : ["node dist/migrate.js", "echo done"],
    );
  if (random.chance(0.3)) deploy.numReplicas = maybeWrong(random, () => 1 + random.int(10));
  if (random.chance(0.1))
    deploy.multiRegionConfig = maybeWrong(random, () => ({ "us-west2": { numReplicas: random.int(5) } }));
  if (random.chance(0.4))
    deploy.healthcheckPath = maybeWrong(random, () => random.pick(["/health", "health", "/"]));
  if (random.chance(0.4)) deploy.healthcheckTimeout = maybeWrong(random, () => random.int(1000));
  if (random.chance(0.5)) deploy.restartPolicyType = maybeWrong(random, () => random.pick(RESTART));
  if (random.chance(0.4)) deploy.restartPolicyMaxRetries = maybeWrong(random, () => random.int(20));
  if (random.chance(0.2)) deploy.cronSchedule = maybeWrong(random, () => random.pick(CRONS));
  if (random.chance(0.2)) deploy.sleepApplication = maybeWrong(random, () => random.chance(0.5));
  if (random.chance(0.2)) deploy.overlapSeconds = maybeWrong(random, () => random.int(120));
  if (random.chance(0.2)) deploy.drainingSeconds = maybeWrong(random, () => random.int(120));
  if (random.chance(0.1)) deploy.region = maybeWrong(random, () => "us-west2");
  return deploy;
}

function randomEnvironments(random: Random): TOML.JsonMap {
  const environments: TOML.JsonMap = {};
  for (let i = random.int(3); i > 0; i -= 1) {
    const env: TOML.JsonMap = {};
    if (random.chance(0.5)) env.build = randomBuild(random);
    if (random.chance(0.7)) env.deploy = randomDeploy(random);
    if (random.chance(0.1)) env.variables = { FOO: "bar" };
    environments[random.pick(ENV_NAMES)] = env;
  }
  return environments;
}

function randomVariables(random: Random): TOML.JsonMap {
  const variables: TOML.JsonMap = {};
  if (random.chance(0.7))
    variables.required = maybeWrong(random, () =>
      Array.from({ length: random.int(5) }, () => random.pick(VARIABLE_NAMES)),
    );
  if (random.chance(0.5)) {
    const set: TOML.JsonMap = {};
    for (let i = random.int(4); i > 0; i -= 1)
      set[random.pick(VARIABLE_NAMES)] = maybeWrong(random, () => "value");
    variables.set = set;
  }
  return variables;
}

/** A config built from the format's grammar, mostly well-typed, with wrong types and odd names mixed in. */
export function generateConfig(random: Random, format: "toml" | "json" = "toml"): Buffer {
  const config: TOML.JsonMap = {};
  if (random.chance(0.8)) config.build = randomBuild(random);
  if (random.chance(0.8)) config.deploy = randomDeploy(random);
  if (random.chance(0.4)) config.environments = randomEnvironments(random);
  if (random.chance(0.4)) config.variables = randomVariables(random);
  if (random.chance(0.6)) {
    const services: TOML.JsonMap = {};
    const count = random.int(random.chance(0.1) ? 200 : 6);
    for (let i = 0; i < count; i += 1) {
      const name = random.chance(0.8) ? `svc-${i}` : random.pick(SERVICE_NAMES);
      const service: TOML.JsonMap = {};
      if (random.chance(0.4)) service.build = randomBuild(random);
      if (random.chance(0.5)) service.deploy = randomDeploy(random);
      if (random.chance(0.3)) service.environments = randomEnvironments(random);
      if (random.chance(0.5)) service.variables = randomVariables(random);
      if (random.chance(0.4))
        service.dependsOn = maybeWrong(random, () =>
          Array.from({ length: 1 + random.int(3) }, () =>
            random.chance(0.7) ? `svc-${random.int(count + 1)}` : random.pick(SERVICE_NAMES),
          ),
        );
      if (random.chance(0.2))
        service.smoke = maybeWrong(
          random,
          (): TOML.JsonMap =>
            random.chance(0.5)
              ? { role: "api", versionPath: random.pick(["/version", "version", ""]) }
              : {
                  role: random.pick(["frontend", "db"]),
                  buildInfoPath: "/healthz",
                  apiUrlVariable: random.pick(VARIABLE_NAMES),
                },
        );
      services[name] = service;
    }
    config.services = services;
  }
  if (random.chance(0.1))
    config[random.pick(["env", "healthcheck", "resources", "start", "$schema"])] = randomWrongValue(random);
  try {
    return Buffer.from(format === "json" ? JSON.stringify(config, null, 2) : TOML.stringify(config));
  } catch {
    return Buffer.from('[build]\nbuilder = "RAILPACK"\n');
  }
}

// ---------------------------------------------------------------- mutation

const TOML_KEYS = [
  "builder",
  "startCommand",
  "watchPatterns",
  "services",
  "dependsOn",
  "required",
  "set",
  "smoke",
  "cronSchedule",
  "numReplicas",
];

function randomTomlValueText(random: Random): string {
  return random.pick([
    "1",
    "-9223372036854775808",
    "99999999999999999999999",
    "1e400",
    "nan",
    "inf",
    "true",
    '"text"',
    "'''multi\nline'''",
    '[1, "a", [true]]',
    "{ a = 1, b = { c = [] } }",
    "1979-05-27T07:32:00Z",
    '""',
    "[]",
    "{}",
    '"\\u0000"',
    '"\\uD800"',
  ]);
}

function lines(content: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < content.length; i += 1) {
    if (content[i] === 0x0a) {
      parts.push(content.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < content.length) parts.push(content.subarray(start));
  return parts;
}

function insertAt(content: Buffer, position: number, insert: Buffer): Buffer {
  return Buffer.concat([content.subarray(0, position), insert, content.subarray(position)]);
}

function lineStart(content: Buffer, random: Random): number {
  const parts = lines(content);
  const index = random.int(parts.length + 1);
  return parts.slice(0, index).reduce((sum, part) => sum + part.length, 0);
}

export const MUTATIONS: Record<string, (content: Buffer, random: Random, seeds: readonly Seed[]) => Buffer> =
  {
    byteFlip(content, random) {
      if (content.length === 0) return Buffer.from([random.int(256)]);
      const copy = Buffer.from(content);
      for (let i = 1 + random.int(8); i > 0; i -= 1) {
        const at = random.int(copy.length);
        copy[at] = (copy[at] as number) ^ (1 << random.int(8));
      }
      return copy;
    },
    truncate(content, random) {
      return content.subarray(0, random.int(content.length + 1));
    },
    duplicateLine(content, random) {
      const parts = lines(content);
      if (parts.length === 0) return content;
      const index = random.int(parts.length);
      parts.splice(index, 0, parts[index] as Buffer);
      return Buffer.concat(parts);
    },
    deleteLine(content, random) {
      const parts = lines(content);
      parts.splice(random.int(parts.length), 1 + random.int(3));
      return Buffer.concat(parts);
    },
    swapLines(content, random) {
      const parts = lines(content);
      if (parts.length < 2) return content;
      const a = random.int(parts.length);
      const b = random.int(parts.length);
      [parts[a], parts[b]] = [parts[b] as Buffer, parts[a] as Buffer];
      return Buffer.concat(parts);
    },
    randomKey(content, random) {
      const key = random.chance(0.5) ? random.pick(TOML_KEYS) : `k${random.int(1000)}`;
      return insertAt(
        content,
        lineStart(content, random),
        Buffer.from(`${key} = ${randomTomlValueText(random)}\n`),
      );
    },
    wrongTypeValue(content, random) {
      const parts = lines(content);
      const candidates = parts
        .map((line, index) => ({ line, index }))
        .filter(({ line }) => /^\s*[\w."-]+\s*=/.test(line.toString("latin1")));
      if (candidates.length === 0) return content;
      const { line, index } = random.pick(candidates);
      const text = line.toString("utf8");
      const key = text.slice(0, text.indexOf("=") + 1);
      parts[index] = Buffer.from(`${key} ${randomTomlValueText(random)}\n`);
      return Buffer.concat(parts);
    },
    randomTable(content, random) {
      const header = random.pick([
        "[services.x]",
        "[[services]]",
        "[environments.production.deploy]",
        "[services.api.environments.pr.build]",
        "[variables.set]",
        "[deploy.deploy]",
        "[build]",
        '[services.""]',
        "[ services . api ]",
      ]);
      return insertAt(content, lineStart(content, random), Buffer.from(`${header}\n`));
    },
    deepNesting(content, random) {
      const depth = random.pick([50, 500, 5000, 50000]);
      const kind = random.int(3);
      const text =
        kind === 0
          ? `deep = ${"[".repeat(depth)}${"]".repeat(depth)}\n`
          : kind === 1
            ? `deep = ${"{ a = ".repeat(depth)}1${" }".repeat(depth)}\n`
            : `[${Array.from({ length: Math.min(depth, 5000) }, () => "a").join(".")}]\n`;
      return insertAt(content, lineStart(content, random), Buffer.from(text));
    },
    hugeString(content, random) {
      const size = random.pick([10_000, 1_000_000, 4_000_000]);
      const text = random.chance(0.5)
        ? `startCommand = "${"x".repeat(size)}"\n`
        : `${"k".repeat(size)} = 1\n`;
      return insertAt(content, lineStart(content, random), Buffer.from(text));
    },
    hugeName(content, random) {
      const name = random.pick(["s", "é", "-"]).repeat(random.pick([3000, 100_000]));
      const text = random.pick([
        `[services.${name.startsWith("é") ? `"${name}"` : name}]\n`,
        `[environments.${name.startsWith("é") ? `"${name}"` : name}.deploy]\nnumReplicas = 1\n`,
        `[services.api]\ndependsOn = ["${name}"]\n`,
        `[variables]\nrequired = ["${name}"]\n`,
        `[build]\nwatchPatterns = ["${name}"]\n`,
        `[deploy]\ncronSchedule = "${name}"\n`,
        `[services.api.smoke]\nrole = "${name}"\n`,
      ]);
      return Buffer.concat([content, Buffer.from(`\n${text}`)]);
    },
    unicode(content, random) {
      const at = random.int(content.length + 1);
      return insertAt(content, at, Buffer.from(random.pick(UNICODE).repeat(1 + random.int(4))));
    },
    invalidUtf8(content, random) {
      const bytes = random.pick([
        [0xff],
        [0xc3, 0x28],
        [0xed, 0xa0, 0x80],
        [0xf4, 0x90, 0x80, 0x80],
        [0xe2, 0x82],
      ]);
      return insertAt(content, random.int(content.length + 1), Buffer.from(bytes));
    },
    nulByte(content, random) {
      return insertAt(content, random.int(content.length + 1), Buffer.from([0]));
    },
    crlf(content, random) {
      const text = content.toString("latin1");
      const converted = random.chance(0.7) ? text.replace(/\r?\n/g, "\r\n") : text.replace(/\n/g, "\r");
      return Buffer.from(converted, "latin1");
    },
    bom(content) {
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), content]);
    },
    /** A service, environment or dependsOn name with a control character (issue 13): must be a config error. */
    controlCharName(content, random) {
      const bad = random.pick([
        "\\n::error::x",
        "\\r",
        "\\u001b[31m",
        "\\u0000",
        "\\u009b",
        "\\u202e",
        "\\u0007",
        "\\u2028",
      ]);
      const text = random.pick([
        `[services."svc${bad}"]\n`,
        `[environments."env${bad}".deploy]\nnumReplicas = 1\n`,
        `[services.api]\ndependsOn = ["db${bad}"]\n`,
        `[services.api.environments."pr${bad}".deploy]\nnumReplicas = 1\n`,
      ]);
      return Buffer.concat([content, Buffer.from(`\n${text}`)]);
    },
    /** Paths that can never work (issue 13): watch patterns that never match, a Dockerfile above the root. */
    badPath(content, random) {
      const text = random.pick([
        '[build]\nwatchPatterns = ["/../shared/**"]\n',
        '[build]\nwatchPatterns = ["/backend/./src/**"]\n',
        '[build]\nwatchPatterns = ["backend\\\\src\\\\**"]\n',
        '[build]\nwatchPatterns = ["!/a/**", "!*.md"]\n',
        '[build]\ndockerfilePath = "../../../../etc/Dockerfile"\n',
        '[build]\ndockerfilePath = "/../Dockerfile"\n',
        "[environments.prodution.deploy]\nnumReplicas = 2\n",
      ]);
      return Buffer.concat([content, Buffer.from(`\n${text}`)]);
    },
    splice(content, random, seeds) {
      const other = lines(random.pick(seeds).content);
      const parts = lines(content);
      const from = random.int(other.length + 1);
      parts.splice(random.int(parts.length + 1), 0, ...other.slice(from, from + 1 + random.int(6)));
      return Buffer.concat(parts);
    },
  };

const MUTATION_NAMES = Object.keys(MUTATIONS);

// ---------------------------------------------------------------- inputs

export interface FuzzInput {
  /** Repo-relative path of the fuzzed file. */
  path: string;
  content: Buffer;
  /** Unmodified files written beside it, to exercise cross-file checks (path → text). */
  companions: Record<string, string>;
  /** How it was made: the base and the mutations applied. */
  recipe: string[];
  /** The Railway environments passed to loadConfig; undefined lets it accept any name. */
  environments?: string[];
}

const INPUT_FOLDERS = ["", "backend/", "apps/api/"];

export function makeInput(random: Random, seeds: readonly Seed[]): FuzzInput {
  const recipe: string[] = [];
  let content: Buffer;
  let format: "toml" | "json";
  if (random.chance(0.6) && seeds.length > 0) {
    const seed = random.pick(seeds);
    content = seed.content;
    format = seed.format;
    recipe.push(`seed ${seed.name}`);
  } else {
    format = random.chance(0.2) ? "json" : "toml";
    content = generateConfig(random, format);
    recipe.push(`generated ${format}`);
  }
  const mutationCount = random.chance(0.15) ? 0 : 1 + random.int(4);
  for (let i = 0; i < mutationCount; i += 1) {
    const name = random.pick(MUTATION_NAMES);
    content = (MUTATIONS[name] as (typeof MUTATIONS)[string])(content, random, seeds);
    recipe.push(name);
  }
  const path = `${random.pick(INPUT_FOLDERS)}railway.${format}`;
  const companions: Record<string, string> = {};
  // Real files beside it exercise the cross-file checks (a service declared twice, dependsOn
  // naming a service of another file).
  for (const companion of ["frontend/railway.toml", "backend/railway.toml"]) {
    const full = join(REPO_ROOT, companion);
    if (companion !== path && random.chance(0.15) && existsSync(full))
      companions[companion] = readFileSync(full, "utf8");
  }
  return {
    path,
    content,
    companions,
    recipe,
    ...(random.chance(0.5) ? { environments: ["production", "pr"] } : {}),
  };
}

// ---------------------------------------------------------------- running

export interface Verdict {
  /** Broken invariants; empty when the input was handled properly. */
  violations: string[];
  answer?: FuzzAnswer;
  /** Timed out once, then answered in a fresh child. */
  slow?: boolean;
}

/** Owns the child process; restarts it after a hang or a crash. */
export class ConfigPathRunner {
  private child: ChildProcessWithoutNullStreams | undefined;
  private pending: { id: number; resolve: (answer: FuzzAnswer | { exited: string }) => void } | undefined;
  private nextId = 1;
  private stderrTail = "";
  readonly workDir = mkdtempSync(join(tmpdir(), "railyard-fuzz-"));

  constructor(private readonly timeoutMs = 5000) {}

  private start(): ChildProcessWithoutNullStreams {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD_SCRIPT], {
      cwd: REPO_ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      const answer = JSON.parse(line) as FuzzAnswer;
      if (this.pending && this.pending.id === answer.id) this.pending.resolve(answer);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-2000);
    });
    child.on("exit", (code, signal) => {
      // A child we killed after a timeout (already replaced) must not answer the next request.
      if (this.child !== child) return;
      this.child = undefined;
      this.pending?.resolve({
        exited: `child exited (code ${code}, signal ${signal}): ${lastLine(this.stderrTail)}`,
      });
    });
    this.child = child;
    return child;
  }

  /**
   * Runs one input. A timeout is retried once in a fresh child before it counts as a hang:
   * on this shared machine a slow moment is not a hang, a second timeout is.
   */
  async check(input: FuzzInput): Promise<Verdict> {
    const first = await this.checkOnce(input);
    if (!first.timedOut) return first;
    const second = await this.checkOnce(input);
    return second.timedOut
      ? { violations: [`hang: no answer within ${this.timeoutMs} ms, twice`] }
      : { ...second, slow: true };
  }

  private async checkOnce(input: FuzzInput): Promise<Verdict & { timedOut?: boolean }> {
    const repoDir = join(this.workDir, "repo");
    rmSync(repoDir, { recursive: true, force: true });
    const files = [input.path, ...Object.keys(input.companions)];
    for (const [path, content] of [
      [input.path, input.content] as const,
      ...Object.entries(input.companions),
    ]) {
      mkdirSync(dirname(join(repoDir, path)), { recursive: true });
      writeFileSync(join(repoDir, path), content);
    }
    const child = this.child ?? this.start();
    const id = this.nextId++;
    const request: FuzzRequest = {
      id,
      repoDir,
      files,
      ...(input.environments ? { environments: input.environments } : {}),
    };
    this.stderrTail = "";
    const outcome = await new Promise<FuzzAnswer | { exited: string } | { timeout: true }>(
      (resolvePromise) => {
        const timer = setTimeout(() => resolvePromise({ timeout: true }), this.timeoutMs);
        this.pending = {
          id,
          resolve: (value) => {
            clearTimeout(timer);
            resolvePromise(value);
          },
        };
        child.stdin.write(`${JSON.stringify(request)}\n`);
      },
    );
    this.pending = undefined;
    if ("timeout" in outcome) {
      this.stop();
      return { violations: [`hang: no answer within ${this.timeoutMs} ms`], timedOut: true };
    }
    if ("exited" in outcome) return { violations: [`crash: ${outcome.exited}`] };
    return { violations: outcome.violations, answer: outcome };
  }

  private stop(): void {
    const child = this.child;
    this.child = undefined;
    child?.kill("SIGKILL");
  }

  close(): void {
    this.stop();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  const meaningful = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("at "));
  return meaningful.slice(-1)[0]?.slice(0, 300) ?? "";
}

/** The violation with the specifics (positions, quoted text, numbers) removed, to group findings. */
export function violationKind(violation: string): string {
  // Keep the finding's code ("[unknown-environment]"): one example per code and problem.
  return violation
    .replace(/(\[[^\]]*\])\s.*$/, "$1")
    .replace(/"[^"]*"/g, '""')
    .replace(/\d+/g, "N")
    .slice(0, 120)
    .trim();
}

/** Shrinks a failing input by deleting lines, then bytes, while the same kind of violation persists. */
export async function minimize(
  runner: ConfigPathRunner,
  input: FuzzInput,
  kind: string,
  budget = 150,
): Promise<FuzzInput> {
  let current = input;
  let attempts = 0;
  const stillFails = async (candidate: FuzzInput) => {
    attempts += 1;
    const verdict = await runner.check(candidate);
    return verdict.violations.some((violation) => violationKind(violation) === kind);
  };
  for (
    let chunk = Math.max(1, Math.floor(lines(current.content).length / 2));
    chunk >= 1 && attempts < budget;
    chunk = Math.floor(chunk / 2)
  ) {
    let index = 0;
    while (attempts < budget) {
      const parts = lines(current.content);
      if (index >= parts.length) break;
      const candidate = {
        ...current,
        content: Buffer.concat([...parts.slice(0, index), ...parts.slice(index + chunk)]),
      };
      if (await stillFails(candidate)) current = candidate;
      else index += chunk;
    }
  }
  if (Object.keys(current.companions).length > 0 && attempts < budget) {
    const candidate = { ...current, companions: {} };
    if (await stillFails(candidate)) current = candidate;
  }
  return current;
}

export interface FuzzFailure {
  input: FuzzInput;
  violations: string[];
  iteration: number;
}

export interface FuzzStats {
  iterations: number;
  seed: number;
  valid: number;
  invalid: number;
  /** Inputs that timed out once and then answered (reported, not failures). */
  slow: number;
  failures: FuzzFailure[];
  /** Distinct violation kinds and how many inputs showed each. */
  kinds: Record<string, number>;
  unavailable?: string;
  seedNotes: string[];
  seedCount: number;
  elapsedMs: number;
}

export async function runFuzz(options: {
  iterations: number;
  seed: number;
  timeoutMs?: number;
  /** A folder of real configs (toml/, json/) to seed from besides the repository's own files. */
  corpusDir?: string;
  onProgress?: (done: number, stats: FuzzStats) => void;
}): Promise<FuzzStats> {
  const random = new Random(options.seed);
  const { seeds, notes } = loadSeeds(options.corpusDir);
  const runner = new ConfigPathRunner(options.timeoutMs ?? 5000);
  const started = Date.now();
  const stats: FuzzStats = {
    iterations: 0,
    seed: options.seed,
    valid: 0,
    invalid: 0,
    slow: 0,
    failures: [],
    kinds: {},
    seedNotes: notes,
    seedCount: seeds.length,
    elapsedMs: 0,
  };
  try {
    for (let i = 0; i < options.iterations; i += 1) {
      const input = makeInput(random, seeds);
      const verdict = await runner.check(input);
      stats.iterations += 1;
      if (verdict.answer?.unavailable) {
        stats.unavailable = verdict.answer.unavailable;
        break;
      }
      if (verdict.slow) stats.slow += 1;
      if (verdict.answer?.valid) stats.valid += 1;
      else stats.invalid += 1;
      if (verdict.violations.length > 0) {
        const newKinds = new Set(
          verdict.violations.map(violationKind).filter((kind) => !(kind in stats.kinds)),
        );
        for (const kind of new Set(verdict.violations.map(violationKind)))
          stats.kinds[kind] = (stats.kinds[kind] ?? 0) + 1;
        // Keep one minimized example per kind of violation: a thousand copies of one bug say nothing more.
        if (newKinds.size > 0) {
          const kind = [...newKinds][0] as string;
          const minimal = await minimize(runner, input, kind);
          const minimalVerdict = await runner.check(minimal);
          stats.failures.push({ input: minimal, violations: minimalVerdict.violations, iteration: i });
        }
      }
      options.onProgress?.(i + 1, stats);
    }
  } finally {
    runner.close();
    stats.elapsedMs = Date.now() - started;
  }
  return stats;
}

// ---------------------------------------------------------------- regression corpus

export interface FixtureNote {
  /** Repo-relative path the input is written to. */
  path: string;
  environments?: string[];
  companions: Record<string, string>;
  /** What failed when it was found. */
  violations: string[];
  recipe: string[];
  seed: number;
  iteration: number;
  found: string;
}

export function saveFailure(failure: FuzzFailure, seed: number): string {
  const hash = createHash("sha256")
    .update(failure.input.path)
    .update(failure.input.content)
    .digest("hex")
    .slice(0, 12);
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const extension = failure.input.path.endsWith(".json") ? "railway.json" : "toml";
  writeFileSync(join(FIXTURE_DIR, `${hash}.${extension}`), failure.input.content);
  const note: FixtureNote = {
    path: failure.input.path,
    ...(failure.input.environments ? { environments: failure.input.environments } : {}),
    companions: failure.input.companions,
    violations: failure.violations,
    recipe: failure.input.recipe,
    seed,
    iteration: failure.iteration,
    found: new Date().toISOString(),
  };
  writeFileSync(join(FIXTURE_DIR, `${hash}.note.json`), `${JSON.stringify(note, null, 2)}\n`);
  return `${hash}.${extension}`;
}

export function loadFixtures(): { name: string; input: FuzzInput; note: FixtureNote }[] {
  if (!existsSync(FIXTURE_DIR)) return [];
  return readdirSync(FIXTURE_DIR)
    .filter(
      (name) =>
        !name.endsWith(".note.json") && !name.startsWith(".") && statSync(join(FIXTURE_DIR, name)).isFile(),
    )
    .sort()
    .map((name) => {
      const notePath = join(FIXTURE_DIR, name.replace(/\.(toml|railway\.json)$/, ".note.json"));
      const note: FixtureNote = existsSync(notePath)
        ? (JSON.parse(readFileSync(notePath, "utf8")) as FixtureNote)
        : {
            path: "railway.toml",
            companions: {},
            violations: [],
            recipe: [],
            seed: 0,
            iteration: 0,
            found: "",
          };
      return {
        name,
        input: {
          path: note.path,
          content: readFileSync(join(FIXTURE_DIR, name)),
          companions: note.companions,
          recipe: note.recipe,
          ...(note.environments ? { environments: note.environments } : {}),
        },
        note,
      };
    });
}
