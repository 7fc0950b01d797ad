// The emulator's programmatic front door: startEmulator() loads the state, picks the runner,
// allocates service domains and serves the API; stop() ends every deployment, process and socket.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildApi } from "./api.ts";
import { Deployer } from "./deployer.ts";
import { Faults } from "./faults.ts";
import { type PostgresServer, type ProvisionContext, Provisioner } from "./provision/index.ts";
import { PodmanEngine } from "./runner/podman.ts";
import { ProcessRunner } from "./runner/process.ts";
import { SimulatedRunner } from "./runner/simulated.ts";
import type { ContainerEngine, DeploymentRunner } from "./runner/types.ts";
import { type EmulatorStats, GRAPHQL_PATH, type Latency, NO_LATENCY, startServer } from "./server.ts";
import { EmulatorState } from "./state.ts";
import { type EmulatorStateFile, readStateFile, validateStateFile } from "./state-file.ts";

export type { DeploymentFault, HttpFault } from "./faults.ts";
export { Faults } from "./faults.ts";
export { type Latency, NO_LATENCY, REMOTE_LATENCY } from "./server.ts";
export { EmulatorState } from "./state.ts";
export type { EmulatorStateFile } from "./state-file.ts";
export { StateFileError } from "./state-file.ts";

export interface StartEmulatorOptions {
  /** The state, or the path of a JSON state file (format: emulator/README.md). */
  state: EmulatorStateFile | string;
  /** The git repository deployments take commits from. */
  repoDir: string;
  /** "process" (default) builds and runs services for real; "simulated" runs nothing. */
  runner?: "process" | "simulated" | DeploymentRunner;
  /** Loopback port; 0 (default) picks a free one. */
  port?: number;
  /** Builds, deployments and uploads; a temporary folder (removed on stop) when absent. */
  workDir?: string;
  /** Duration of a simulated deployment (runner "simulated"; default 2 s). */
  simulatedDurationMs?: number;
  /** Overrides the state's hourly request budget. */
  rateLimitPerHour?: number;
  /** Latency-true mode (benchmarks): delay per request and per subscription message; none by default. */
  latency?: Latency;
  /** Requests per second per token, answered 429 + Retry-After beyond it (Railway Hobby: 10). */
  rateLimitPerSecond?: number;
  /** Diagnostics of the emulator and its runner (never variable values). */
  log?: (line: string) => void;
  /** The machine's PostgreSQL that databases created through the API live on (default 127.0.0.1:5432, user postgres). */
  postgres?: PostgresServer;
  /** Keep the PostgreSQL databases created through the API when the emulator stops (default: drop them). */
  keepDatabases?: boolean;
}

export interface RunningEmulator {
  /** http://127.0.0.1:PORT */
  url: string;
  /** http://127.0.0.1:PORT/graphql/v2 (WebSocket subscriptions on the same path). */
  graphqlUrl: string;
  faults: Faults;
  state: EmulatorState;
  runner: DeploymentRunner;
  /** Counters for tests and benchmarks. */
  stats: EmulatorStats;
  /** Real databases and Redis processes behind database services created through the API. */
  provision: ProvisionContext;
  /** The latency in force; change its fields to change it for the next requests and messages. */
  latency: Latency;
  /** Requests counted against a token's hourly budget (HTTP requests and subscription starts). */
  budgetUsed(token: string): number;
  /** Changes the per-second limit for the next requests (undefined: none). */
  setRateLimitPerSecond(perSecond: number | undefined): void;
  stop(): Promise<void>;
}

export async function startEmulator(options: StartEmulatorOptions): Promise<RunningEmulator> {
  const file =
    typeof options.state === "string" ? readStateFile(options.state) : validateStateFile(options.state);
  const state = new EmulatorState(
    options.rateLimitPerHour
      ? { ...file, rateLimitPerHour: options.rateLimitPerHour }
      : structuredClone(file),
  );
  const log = options.log ?? (() => {});
  const ownWorkDir = options.workDir === undefined;
  const workDir = options.workDir
    ? resolve(options.workDir)
    : await mkdtemp(join(tmpdir(), "railyard-emulator-"));
  const runner = await createRunner(options.runner ?? "process", workDir, options, log);
  const faults = new Faults();
  const latency: Latency = { ...(options.latency ?? NO_LATENCY) };
  const deployer = new Deployer(state, runner, faults, resolve(options.repoDir), log);
  const provisioner = new Provisioner({
    workDir: join(workDir, "provision"),
    postgres: options.postgres,
    keepDatabases: options.keepDatabases,
    log,
  });
  const provision: ProvisionContext = {
    state,
    provisioner,
    allocateDomain: (serviceId, environmentId) => runner.serviceDomain(serviceId, environmentId),
  };
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    await deployer.allocateDomains();
    const { schema, rootValue } = buildApi(state);
    server = await startServer({
      state,
      deployer,
      provision,
      faults,
      schema,
      rootValue,
      port: options.port ?? 0,
      workDir,
      log,
      latency,
      ...(options.rateLimitPerSecond ? { rateLimitPerSecond: options.rateLimitPerSecond } : {}),
    });
  } catch (error) {
    await deployer.close();
    await provisioner.close();
    if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  const running = server;
  let stopping: Promise<void> | undefined;
  return {
    url: running.url,
    graphqlUrl: `${running.url}${GRAPHQL_PATH}`,
    faults,
    state,
    runner,
    stats: running.stats,
    provision,
    latency,
    budgetUsed: (token) => running.budgetUsed(token),
    setRateLimitPerSecond: (perSecond) => running.setRateLimitPerSecond(perSecond),
    stop() {
      stopping ??= (async () => {
        await running.close();
        await deployer.close();
        await provisioner.close();
        if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

async function createRunner(
  choice: "process" | "simulated" | DeploymentRunner,
  workDir: string,
  options: StartEmulatorOptions,
  log: (line: string) => void,
): Promise<DeploymentRunner> {
  if (typeof choice !== "string") return choice;
  if (choice === "simulated") return new SimulatedRunner({ durationMs: options.simulatedDurationMs });
  if (choice !== "process") throw new Error(`Unknown runner "${choice}": use "process" or "simulated"`);
  // DOCKERFILE services go to podman when it is usable (the runner asks available() once);
  // otherwise they are built natively, as documented in emulator/RUNNER.md.
  const containerEngine: ContainerEngine = new PodmanEngine();
  return new ProcessRunner({ workDir, containerEngine, log });
}
