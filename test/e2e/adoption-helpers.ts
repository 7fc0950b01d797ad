// Foreign repositories for the adoption stories: a fixture folder (test/fixtures/adoption/<name>,
// written for this project to look like what people have) becomes a fresh git repository in a
// temporary folder, unchanged, and an emulator project holds its Railway services as Railway
// would have them (the Railway Config File setting linking each file, its root directory).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServiceSettings } from "../../action/src/config/types.ts";
import { runPipeline } from "../../action/src/pipeline/run.ts";
import type { PipelineEvent, PipelineOptions, PipelineResult } from "../../action/src/pipeline/types.ts";
import { RailwayClient } from "../../action/src/railway/client.ts";
import { type EmulatorStateFile, startEmulator } from "../../emulator/src/index.ts";
import { ProcessRunner } from "../../emulator/src/runner/process.ts";
import { ROOT, type TempRepo, tempRepoAt } from "./helpers.ts";

/** A fixture's files as a new git repository with one commit. */
export function fixtureRepo(name: string): TempRepo {
  const dir = mkdtempSync(join(tmpdir(), `railyard-adopt-${name}-`));
  cpSync(join(ROOT, "test/fixtures/adoption", name), dir, { recursive: true });
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: dir });
  const repo = tempRepoAt(dir, "adopt@railyard.test", "Railyard adoption");
  repo.git("add", "-A");
  repo.git("commit", "-q", "-m", "the repository as its owners keep it");
  return repo;
}

export interface ForeignService {
  name: string;
  /** Railway's settings as the project has them (railwayConfigFile, rootDirectory, ...). */
  settings?: ServiceSettings;
  variables?: Record<string, string>;
}

export interface ForeignProject {
  repo: TempRepo;
  token: string;
  graphqlUrl: string;
  run(options?: Partial<PipelineOptions>): Promise<PipelineResult & { events: PipelineEvent[] }>;
  client(): RailwayClient;
  stop(): Promise<void>;
}

/** An emulator project whose services deploy `repo` with the process runner (real processes). */
export async function foreignProject(
  repo: TempRepo,
  services: ForeignService[],
  runner: "process" | "simulated" = "process",
): Promise<ForeignProject> {
  const token = `adopt-${randomBytes(12).toString("hex")}`;
  const state: EmulatorStateFile = {
    projects: [
      {
        id: "proj-adopt",
        name: "adopt",
        environments: [{ id: "env-production", name: "production" }],
        services: services.map((service, index) => ({
          id: `svc-${index}`,
          name: service.name,
          source: { repo: "acme/app" },
          ...(service.settings ? { settings: service.settings } : {}),
          ...(service.variables ? { variables: { production: service.variables } } : {}),
        })),
      },
    ],
    tokens: [{ kind: "project", token, project: "proj-adopt", environment: "env-production" }],
  };
  // Real processes, Dockerfiles built natively (emulator/RUNNER.md): fast and offline.
  const workDir = mkdtempSync(join(tmpdir(), "railyard-adopt-runner-"));
  const emulator = await startEmulator({
    state,
    repoDir: repo.dir,
    runner: runner === "process" ? new ProcessRunner({ workDir }) : "simulated",
    simulatedDurationMs: 200,
  });
  const clients: RailwayClient[] = [];
  const client = () => {
    const c = new RailwayClient({ endpoint: emulator.graphqlUrl, token });
    clients.push(c);
    return c;
  };
  return {
    repo,
    token,
    graphqlUrl: emulator.graphqlUrl,
    client,
    async run(options = {}) {
      const events: PipelineEvent[] = [];
      const result = await runPipeline(
        {
          mode: "deploy",
          repoDir: repo.dir,
          environment: "production",
          timeoutMs: 3 * 60_000,
          concurrency: 4,
          rollback: true,
          smoke: true,
          smokeTimeoutMs: 30_000,
          stabilityMs: 0,
          browserPath: undefined,
          ...options,
        },
        { api: client(), emit: (event) => events.push(event) },
      );
      return { ...result, events };
    },
    async stop() {
      for (const c of clients) await c.close();
      await emulator.stop();
      repo.remove();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** The services a run deployed, sorted. */
export const deployedBy = (result: { plan: { service: string; deploy: boolean }[] }) =>
  result.plan
    .filter((plan) => plan.deploy)
    .map((plan) => plan.service)
    .sort();
