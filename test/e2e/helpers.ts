// Shared set-up of the end-to-end stories: a temporary git clone of this repository (the
// stories commit on top of it), an emulator state from emulator/examples/stack.json with
// variables set the way an operator sets them, and the pipeline run through the real client.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runPipeline } from "../../action/src/pipeline/run.ts";
import type { PipelineEvent, PipelineOptions, PipelineResult } from "../../action/src/pipeline/types.ts";
import { RailwayClient, type RailwayClientOptions } from "../../action/src/railway/client.ts";
import { type EmulatorStateFile, startEmulator } from "../../emulator/src/index.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface TempRepo {
  dir: string;
  git(...args: string[]): string;
  /** Writes the files and commits them; returns the new commit sha. */
  commit(files: Record<string, string>, message: string): string;
  head(): string;
  remove(): void;
}

/** A clone of this repository's committed HEAD in a temporary folder. */
export function cloneRepo(): TempRepo {
  const dir = mkdtempSync(join(tmpdir(), "railyard-e2e-repo-"));
  execFileSync("git", ["clone", "-q", "--no-hardlinks", ROOT, dir]);
  return tempRepoAt(dir, "e2e@railyard.test", "Railyard e2e");
}

/** A git repository in `dir` (made by the caller) that stories commit to as `name`. */
export function tempRepoAt(dir: string, email: string, name: string): TempRepo {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();
  git("config", "user.email", email);
  git("config", "user.name", name);
  return {
    dir,
    git,
    commit(files, message) {
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
      git("add", "-A");
      git("commit", "-q", "-m", message);
      return git("rev-parse", "HEAD");
    },
    head: () => git("rev-parse", "HEAD"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: state files are free-form JSON built up field by field in tests
type Json = Record<string, any>;

export interface StackOptions {
  /** Values of the external services and the shared master key. */
  userDatabaseUrl?: string;
  generalDatabaseUrl?: string;
  redisUrl?: string;
  redisKeyPrefix?: string;
  masterKey?: string;
  /** Variables to leave out (by service), to tell the missing-variable story. */
  omit?: Record<string, string[]>;
  /** Extra or overriding variables by service. */
  set?: Record<string, Record<string, string>>;
  /**
   * Keep the example's Railway autodeploy triggers (default: removed, as Railyard's docs tell
   * an operator to turn them off) and custom domains (default: removed, since *.example names
   * do not resolve here).
   */
  keepTriggers?: boolean;
  keepCustomDomains?: boolean;
  /** Services without a GitHub source: the pipeline uploads their source instead. */
  uploadServices?: string[];
  /** Options of the Railway client the runs use (e.g. a short deployReconcileMs). */
  client?: Partial<RailwayClientOptions>;
}

/** The example state with variables set as an operator would set them in Railway's dashboard. */
export function stackState(options: StackOptions = {}): { state: Json; token: string; projectId: string } {
  const state = JSON.parse(readFileSync(join(ROOT, "emulator/examples/stack.json"), "utf8")) as Json;
  const project = state.projects[0];
  const env = project.environments.find((e: Json) => e.name === "production");
  const vars = (name: string): Record<string, string> => {
    const service = project.services.find((s: Json) => s.name === name);
    if (!service) throw new Error(`stack.json has no service ${name}`);
    service.variables ??= {};
    service.variables[env.name] ??= {};
    return service.variables[env.name];
  };
  Object.assign(vars("User Data DB"), {
    DATABASE_URL: options.userDatabaseUrl ?? "postgresql://postgres@127.0.0.1:5432/user_fake",
  });
  Object.assign(vars("General Data DB"), {
    DATABASE_URL: options.generalDatabaseUrl ?? "postgresql://postgres@127.0.0.1:5432/general_fake",
  });
  Object.assign(vars("Redis"), { REDIS_URL: options.redisUrl ?? "redis://127.0.0.1:6379" });
  for (const name of ["api", "data-poller", "trading-engine"]) {
    Object.assign(vars(name), {
      USER_DATABASE_URL: "${{User Data DB.DATABASE_URL}}",
      GENERAL_DATABASE_URL: "${{General Data DB.DATABASE_URL}}",
      REDIS_URL: "${{Redis.REDIS_URL}}",
      REDIS_KEY_PREFIX: options.redisKeyPrefix ?? `railyard-e2e-${randomBytes(4).toString("hex")}:`,
      MASTER_ENCRYPTION_KEY: "${{shared.MASTER_ENCRYPTION_KEY}}",
    });
  }
  Object.assign(vars("api"), { CORS_ORIGIN: "http://${{frontend.RAILWAY_PUBLIC_DOMAIN}}" });
  Object.assign(vars("frontend"), { NEXT_PUBLIC_API_URL: "http://${{api.RAILWAY_PUBLIC_DOMAIN}}" });
  for (const service of project.services as Json[]) {
    if (!options.keepTriggers) delete service.triggers;
    if (!options.keepCustomDomains) delete service.customDomains;
    if (options.uploadServices?.includes(service.name)) service.source = null;
  }
  for (const [service, values] of Object.entries(options.set ?? {})) Object.assign(vars(service), values);
  for (const [service, names] of Object.entries(options.omit ?? {}))
    for (const name of names) delete vars(service)[name];
  project.sharedVariables ??= {};
  project.sharedVariables[env.name] = {
    ...(project.sharedVariables[env.name] ?? {}),
    MASTER_ENCRYPTION_KEY: options.masterKey ?? randomBytes(32).toString("hex"),
  };
  const token = `e2e-${randomBytes(12).toString("hex")}`;
  const pr = project.environments.find((e: Json) => e.name === "pr");
  state.tokens = [{ kind: "project", token, name: "e2e", project: project.id, environment: env.id }];
  // A token of the pr environment, for the story of a token with the wrong scope.
  if (pr)
    state.tokens.push({
      kind: "project",
      token: `${token}-pr`,
      name: "e2e pr",
      project: project.id,
      environment: pr.id,
    });
  return { state, token, projectId: project.id };
}

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

export interface Stack {
  emulator: Emulator;
  token: string;
  projectId: string;
  repo: TempRepo;
  /** Runs the pipeline with the real client; collects progress events. */
  run(
    options: Partial<PipelineOptions>,
    token?: string,
  ): Promise<PipelineResult & { events: PipelineEvent[] }>;
  client(token?: string): RailwayClient;
  stop(): Promise<void>;
}

export async function startStack(
  runner: "simulated" | "process",
  stackOptions: StackOptions = {},
  repo: TempRepo = cloneRepo(),
  simulatedDurationMs = 300,
): Promise<Stack> {
  const { state, token, projectId } = stackState(stackOptions);
  const emulator = await startEmulator({
    state: state as EmulatorStateFile,
    repoDir: repo.dir,
    runner,
    simulatedDurationMs,
  });
  const clients: RailwayClient[] = [];
  const client = (use = token) => {
    const c = new RailwayClient({ ...stackOptions.client, endpoint: emulator.graphqlUrl, token: use });
    clients.push(c);
    return c;
  };
  return {
    emulator,
    token,
    projectId,
    repo,
    client,
    async run(options, use) {
      const events: PipelineEvent[] = [];
      const api = client(use);
      const result = await runPipeline(
        {
          mode: "deploy",
          repoDir: repo.dir,
          environment: "production",
          timeoutMs: 5 * 60_000,
          concurrency: 4,
          rollback: true,
          smoke: false,
          smokeTimeoutMs: 60_000,
          stabilityMs: 0,
          ...options,
        },
        { api, emit: (event) => events.push(event) },
      );
      return { ...result, events };
    },
    async stop() {
      for (const c of clients) await c.close();
      await emulator.stop();
      repo.remove();
    },
  };
}

/** Deployments Railway (the emulator) holds for a service, newest first. */
export async function deploymentsOf(stack: Stack, service: string) {
  const api = stack.client();
  const project = await api.project(stack.projectId);
  const env = project.environments.find((e) => e.name === "production");
  const svc = project.services.find((s) => s.name === service);
  if (!env || !svc) throw new Error(`no ${service} in production`);
  return api.deployments(stack.projectId, env.id, svc.id, 50);
}
