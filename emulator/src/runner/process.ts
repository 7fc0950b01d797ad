// ProcessRunner: the emulator's data plane. It snapshots a commit (or an upload), builds the
// service (podman for DOCKERFILE services when present, else natively), runs the pre-deploy
// commands, starts the process with PORT and the rendered variables, health-checks it, routes the
// service domain to it and applies the restart policy. Statuses and logs go to the control plane
// through the DeploymentSink; see emulator/RUNNER.md and docs/decisions/0050-0053.

import { existsSync } from "node:fs";
import { mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import path from "node:path";
import {
  BuildError,
  baseEnv,
  buildCacheKey,
  defaultBuildCommand,
  dockerfileLocation,
  nativeImageCommand,
  parseDockerfile,
  readPackage,
  resolveCommit,
  serviceRoot,
  snapshotCommit,
  snapshotUpload,
} from "./build.ts";
import { EdgeProxy } from "./edge.ts";
import { type ProcessExit, runGroup, spawnGroup } from "./process-group.ts";
import type {
  ContainerEngine,
  DeploymentRunner,
  DeploymentSink,
  DeploymentSpec,
  RunningDeployment,
} from "./types.ts";

export interface ProcessRunnerOptions {
  /** Holds builds (workDir/builds/<key>) and per-deployment folders (workDir/deployments/<id>). */
  workDir: string;
  /** Used for DOCKERFILE services when present and available(); otherwise they are built natively. */
  containerEngine?: ContainerEngine;
  /** The runner's own diagnostics (never variable values). */
  log?: (msg: string) => void;
  /** How long a service without a health check path must stay up to count as deployed (default 2000 ms). */
  startupGraceMs?: number;
  /** Delay between health-check probes (default 1000 ms). */
  healthcheckIntervalMs?: number;
  /** First delay before a restart, doubled per restart up to 30 s (default 1000 ms). */
  restartBackoffMs?: number;
}

/** The step names this runner reports, and Railway's DeploymentEventStep each corresponds to. */
export const RAILWAY_EVENT_STEP = {
  BUILD: "BUILD_IMAGE",
  PRE_DEPLOY: "PRE_DEPLOY_COMMAND",
  DEPLOY: "CREATE_CONTAINER",
  HEALTHCHECK: "HEALTHCHECK",
} as const;

/** The path probed under the healthcheck-never-passes fault: no real app answers it with 200. */
export const NEVER_HEALTHY_PATH = "/__railyard_fault/healthcheck-never-passes";

const DEFAULT_HEALTHCHECK_TIMEOUT_SECONDS = 300;
const DEFAULT_ON_FAILURE_RETRIES = 10;
const MAX_RESTART_BACKOFF_MS = 30_000;

interface Workload {
  readonly exited: Promise<ProcessExit>;
  stop(graceMs: number): Promise<void>;
  kill(): void;
}

type RunPlan =
  | { kind: "native"; cwd: string; argv: string[]; imageEnv: Record<string, string> }
  | { kind: "container"; image: string; command?: string[] };

interface PreparedBuild {
  snapshotDir: string;
  serviceRootDir: string;
  key: string;
  image?: string;
}

export class ProcessRunner implements DeploymentRunner {
  readonly workDir: string;
  private readonly containerEngine?: ContainerEngine;
  private readonly log: (msg: string) => void;
  readonly startupGraceMs: number;
  readonly healthcheckIntervalMs: number;
  readonly restartBackoffMs: number;
  private readonly edges = new Map<string, Promise<EdgeProxy>>();
  private readonly runs = new Set<DeploymentRun>();
  private readonly healthy = new Map<string, Map<string, { sequence: number; port: number }>>();
  private sequence = 0;
  private readonly buildsInFlight = new Map<string, Promise<boolean>>();
  private containerAvailable: Promise<boolean> | null = null;
  private closed = false;

  constructor(options: ProcessRunnerOptions) {
    this.workDir = path.resolve(options.workDir);
    this.containerEngine = options.containerEngine;
    this.log = options.log ?? (() => {});
    this.startupGraceMs = options.startupGraceMs ?? 2_000;
    this.healthcheckIntervalMs = options.healthcheckIntervalMs ?? 1_000;
    this.restartBackoffMs = options.restartBackoffMs ?? 1_000;
  }

  serviceDomain(serviceId: string, environmentId: string): Promise<string> {
    return this.edge(serviceId, environmentId).then((edge) => edge.domain);
  }

  /** The edge proxy of a service instance, started on first use on a free loopback port. */
  edge(serviceId: string, environmentId: string): Promise<EdgeProxy> {
    if (this.closed) return Promise.reject(new Error("the runner is closed"));
    const key = `${environmentId}/${serviceId}`;
    let edge = this.edges.get(key);
    if (!edge) {
      edge = EdgeProxy.listen(0).then((proxy) => {
        this.log(`edge for service ${serviceId} in environment ${environmentId} on ${proxy.domain}`);
        return proxy;
      });
      this.edges.set(key, edge);
    }
    return edge;
  }

  start(spec: DeploymentSpec, sink: DeploymentSink, signal: AbortSignal): RunningDeployment {
    const run = new DeploymentRun(this, spec, sink);
    this.runs.add(run);
    if (this.closed) {
      sink.buildLog("the emulator is shutting down", "error");
      sink.status("FAILED");
    } else {
      run.begin(signal);
    }
    void run.settled.then(() => this.runs.delete(run));
    return { stop: (options) => run.stop(options?.drainingSeconds) };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.runs].map((run) => run.stop(1)));
    const edges = await Promise.allSettled(this.edges.values());
    this.edges.clear();
    await Promise.all(edges.map((edge) => (edge.status === "fulfilled" ? edge.value.close() : undefined)));
  }

  /** Whether DOCKERFILE services go to the container engine (asked once). */
  useContainers(): Promise<boolean> {
    const engine = this.containerEngine;
    if (!engine) return Promise.resolve(false);
    this.containerAvailable ??= (async () => {
      try {
        return await engine.available();
      } catch (error) {
        // An engine that cannot even answer is as good as absent: build natively.
        this.log(
          `container engine unavailable (${(error as Error).message}): DOCKERFILE services build natively`,
        );
        return false;
      }
    })();
    return this.containerAvailable;
  }

  nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

  /**
   * A deployment became healthy: the service domain serves the latest-started healthy deployment,
   * so one that started earlier but finished later does not take the domain back.
   */
  async goLive(spec: DeploymentSpec, sequence: number, port: number): Promise<EdgeProxy> {
    const key = `${spec.environmentId}/${spec.serviceId}`;
    const candidates = this.healthy.get(key) ?? new Map<string, { sequence: number; port: number }>();
    this.healthy.set(key, candidates);
    candidates.set(spec.deploymentId, { sequence, port });
    const edge = await this.edge(spec.serviceId, spec.environmentId);
    this.reroute(key, edge);
    return edge;
  }

  /** A deployment stops serving; the domain falls back to the latest other healthy one, if any. */
  withdraw(spec: DeploymentSpec): void {
    const key = `${spec.environmentId}/${spec.serviceId}`;
    const candidates = this.healthy.get(key);
    if (!candidates?.delete(spec.deploymentId)) return;
    void this.edges.get(key)?.then((edge) => this.reroute(key, edge));
  }

  private reroute(key: string, edge: EdgeProxy): void {
    let best: { id: string; sequence: number; port: number } | null = null;
    for (const [id, candidate] of this.healthy.get(key) ?? []) {
      if (!best || candidate.sequence > best.sequence) best = { id, ...candidate };
    }
    if (best) edge.route(best.id, best.port);
    else if (edge.routedDeployment) edge.unroute(edge.routedDeployment);
  }

  /** The runner's own diagnostics. */
  note(message: string): void {
    this.log(message);
  }

  get engine(): ContainerEngine | undefined {
    return this.containerEngine;
  }

  /**
   * Runs `build` for a cache key unless a finished build exists; one build per key at a time.
   * Returns whether the result came from the cache.
   */
  async withBuildCache(
    key: string,
    build: (dir: string) => Promise<void>,
    signal: AbortSignal,
  ): Promise<boolean> {
    const dir = path.join(this.workDir, "builds", key);
    const marker = path.join(dir, "complete.json");
    for (;;) {
      if (existsSync(marker)) return true;
      const inFlight = this.buildsInFlight.get(key);
      if (!inFlight) break;
      // Another deployment is building exactly this: share its result, or build anew if it failed.
      await inFlight.catch(() => false);
      if (signal.aborted) throw new BuildError("cancelled");
    }
    const started = Date.now();
    const attempt = (async () => {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      try {
        await build(dir);
        await writeFile(
          marker,
          JSON.stringify({ builtAt: new Date().toISOString(), durationMs: Date.now() - started }),
        );
      } catch (error) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
      return true;
    })();
    this.buildsInFlight.set(key, attempt);
    try {
      await attempt;
      return false;
    } finally {
      this.buildsInFlight.delete(key);
    }
  }
}

class DeploymentRun {
  private readonly abort = new AbortController();
  private workload: Workload | null = null;
  private stopping = false;
  private stopPromise: Promise<void> | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Start order: of two healthy deployments of a service, the later-started one serves. */
  private readonly sequence: number;
  private publicDomain: string | null = null;
  private resolveSettled: () => void = () => {};
  /** Resolves when the deployment's pipeline has finished (terminal status, stopped or cancelled). */
  readonly settled = new Promise<void>((resolve) => {
    this.resolveSettled = resolve;
  });

  constructor(
    private readonly runner: ProcessRunner,
    private readonly spec: DeploymentSpec,
    private readonly sink: DeploymentSink,
  ) {
    this.sequence = runner.nextSequence();
  }

  begin(signal: AbortSignal): void {
    if (signal.aborted) {
      this.resolveSettled();
      return;
    }
    signal.addEventListener("abort", () => void this.stop(0), { once: true });
    void this.pipeline()
      .catch((error: unknown) => {
        if (this.stopping) return;
        // An unexpected failure of the runner itself: the deployment fails with the reason.
        this.sink.deployLog(`runner error: ${(error as Error).message}`, "error");
        this.sink.status("FAILED");
        this.runner.withdraw(this.spec);
        void this.workload?.stop(0);
      })
      .finally(() => this.resolveSettled());
  }

  stop(drainingSeconds?: number): Promise<void> {
    this.stopPromise ??= (async () => {
      this.stopping = true;
      this.abort.abort();
      for (const timer of this.timers) clearTimeout(timer);
      this.runner.withdraw(this.spec);
      const graceMs = Math.max(0, (drainingSeconds ?? this.spec.settings.drainingSeconds ?? 0) * 1000);
      // The pipeline may be between steps; it checks `stopping` after every await and stops what it started.
      const current = this.workload;
      await current?.stop(graceMs);
      await this.settled;
      if (this.workload !== current) await this.workload?.stop(0);
    })();
    return this.stopPromise;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.abort.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.timers.add(timer);
      this.abort.signal.addEventListener("abort", done, { once: true });
    });
  }

  private fail(step: string, message: string): void {
    const log = step === "BUILD" ? this.sink.buildLog : this.sink.deployLog;
    log.call(this.sink, message, "error");
    this.sink.event(step, "FAILED", message);
    this.sink.status("FAILED");
  }

  private async pipeline(): Promise<void> {
    const { spec, sink } = this;
    if (spec.simulate) return this.simulate(spec.simulate);

    sink.status("BUILDING");
    sink.event("BUILD", "STARTED");
    // The service domain exists before the build: RAILWAY_PUBLIC_DOMAIN is known at build time on Railway too.
    this.publicDomain = await this.runner.serviceDomain(spec.serviceId, spec.environmentId);
    if (this.stopping) return;
    this.runner.note(`deployment ${spec.deploymentId} of ${spec.serviceName}: building`);
    let prepared: PreparedBuild;
    let plan: RunPlan;
    try {
      prepared = await this.prepareBuild();
      if (this.stopping) return;
      plan = await this.planRun(prepared);
    } catch (error) {
      if (this.stopping) return;
      if (error instanceof BuildError) return this.fail("BUILD", error.message);
      throw error;
    }
    if (this.stopping) return;
    sink.event("BUILD", "SUCCEEDED");

    sink.status("DEPLOYING");
    const runtimeEnv = this.runtimeEnv(plan);
    const preDeploy = (spec.settings.preDeployCommand ?? []).filter((command) => command.trim() !== "");
    if (preDeploy.length > 0) {
      sink.event("PRE_DEPLOY", "STARTED");
      for (const command of preDeploy) {
        sink.deployLog(`pre-deploy: ${command}`);
        const exit = await this.runPreDeploy(command, plan, prepared, runtimeEnv);
        if (this.stopping) return;
        if (exit.code !== 0) {
          return this.fail("PRE_DEPLOY", `Pre-deploy command failed (${describeExit(exit)}): ${command}`);
        }
      }
      sink.event("PRE_DEPLOY", "SUCCEEDED");
    }

    sink.event("DEPLOY", "STARTED");
    const port = spec.variables.PORT ? Number(spec.variables.PORT) : await freePort();
    if (this.stopping) return;
    const env = { ...runtimeEnv, PORT: String(port) };
    const workload = this.launch(plan, env);
    sink.instance?.("INITIALIZING");
    if (this.stopping) return;

    const healthy = await this.awaitHealthy(workload, port);
    if (this.stopping) return;
    if (healthy !== true) {
      await workload.stop(0);
      if (this.stopping) return;
      sink.instance?.(healthy.step === "HEALTHCHECK" ? "STOPPED" : "CRASHED");
      return this.fail(healthy.step, healthy.message);
    }
    sink.event("DEPLOY", "SUCCEEDED");

    const edge = await this.runner.goLive(spec, this.sequence, port);
    if (this.stopping) {
      this.runner.withdraw(spec);
      return;
    }
    this.runner.note(
      `deployment ${spec.deploymentId} of ${spec.serviceName}: healthy on port ${port}; ${edge.domain} serves ${edge.routedDeployment}`,
    );
    sink.instance?.("RUNNING");
    sink.status("SUCCESS");
    await this.supervise(workload, plan, env);
  }

  private async simulate(simulate: NonNullable<DeploymentSpec["simulate"]>): Promise<void> {
    this.sink.status("BUILDING");
    await this.sleep(simulate.durationMs / 2);
    if (this.stopping) return;
    this.sink.status("DEPLOYING");
    await this.sleep(simulate.durationMs / 2);
    if (this.stopping) return;
    this.sink.status(simulate.outcome);
  }

  // ------------------------------------------------------------ build

  private async prepareBuild(): Promise<PreparedBuild> {
    const { spec, sink, runner } = this;
    const deploymentDir = path.join(runner.workDir, "deployments", spec.deploymentId);
    await mkdir(deploymentDir, { recursive: true });

    let source: string;
    if (spec.commitSha) {
      const fullSha = await resolveCommit(spec.repoDir, spec.commitSha);
      source = `commit:${fullSha}`;
      sink.buildLog(`Using commit ${fullSha.slice(0, 12)} of ${spec.repoDir}`);
    } else if (spec.uploadDir) {
      // Each upload is new source: never shared with another deployment's build.
      source = `upload:${spec.deploymentId}`;
      sink.buildLog("Using uploaded source");
    } else {
      throw new BuildError("the deployment has neither a commit nor uploaded source");
    }

    const containers = spec.settings.builder === "DOCKERFILE" && (await runner.useContainers());
    const fault = spec.fault?.kind === "build-fails";
    const key = buildCacheKey({
      source: fault ? `${source}:fault:${spec.deploymentId}` : source,
      rootDirectory: spec.settings.rootDirectory ?? "/",
      mode: containers ? "container" : "native",
      settings: spec.settings,
      variables: spec.variables,
    });
    const snapshotDir = path.join(runner.workDir, "builds", key, "src");
    const started = Date.now();
    let serviceRootDir = "";
    let image: string | undefined;

    const cached = await runner.withBuildCache(
      key,
      async () => {
        if (spec.commitSha) await snapshotCommit(spec.repoDir, source.slice("commit:".length), snapshotDir);
        else await snapshotUpload(spec.uploadDir as string, snapshotDir);
        if (this.stopping) throw new BuildError("cancelled");
        serviceRootDir = await serviceRoot(snapshotDir, spec.settings.rootDirectory);
        if (fault) {
          await this.buildStep(
            `echo "railyard fault: build-fails injected; the build step exits 1" >&2; exit 1`,
            serviceRootDir,
          );
        }
        if (containers) image = await this.buildImage(snapshotDir, serviceRootDir, key);
        else await this.buildNatively(snapshotDir, serviceRootDir);
      },
      this.abort.signal,
    );
    serviceRootDir = await serviceRoot(snapshotDir, spec.settings.rootDirectory);
    if (cached) {
      sink.buildLog(
        `Reusing the build of this commit, root directory, builder and variables (${key.slice(0, 12)})`,
      );
      if (containers) image = imageTag(spec, key);
    } else {
      sink.buildLog(`Build finished in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    }
    await rm(path.join(deploymentDir, "src"), { force: true });
    await symlink(snapshotDir, path.join(deploymentDir, "src"));
    return { snapshotDir, serviceRootDir, key, image };
  }

  private buildEnv(): Record<string, string> {
    return { ...baseEnv(), ...this.railwayDefaults(), ...this.spec.variables, CI: "true" };
  }

  private async buildStep(command: string, cwd: string): Promise<void> {
    this.sink.buildLog(`$ ${command}`);
    const exit = await runGroup({
      command: "sh",
      args: ["-c", command],
      cwd,
      env: this.buildEnv(),
      signal: this.abort.signal,
      onLine: (line, stream) => this.sink.buildLog(line, stream === "stderr" ? "error" : "info"),
    });
    if (this.stopping) throw new BuildError("cancelled");
    if (exit.code !== 0) throw new BuildError(`Build failed: \`${command}\` ${describeExit(exit)}`);
  }

  private async buildNatively(snapshotDir: string, root: string): Promise<void> {
    const { settings } = this.spec;
    const pkg = await readPackage(root);
    if (settings.builder === "DOCKERFILE") {
      const dockerfile = dockerfileLocation(snapshotDir, root, settings.dockerfilePath);
      const text = await readFile(dockerfile, "utf8").catch(() => null);
      const shown = path.relative(snapshotDir, dockerfile);
      if (text === null) throw new BuildError(`Dockerfile ${shown} does not exist in the source`);
      parseDockerfile(text, shown); // fail on a Dockerfile we cannot read before installing anything
      this.sink.buildLog(
        `No container engine: building ${shown} natively (npm install and build script, then its CMD; see emulator/RUNNER.md)`,
      );
      const command = defaultBuildCommand(pkg);
      if (command) await this.buildStep(command, root);
      else this.sink.buildLog("No package.json in the service root: nothing to build natively");
      return;
    }
    const command = settings.buildCommand?.trim() || defaultBuildCommand(pkg);
    if (command) await this.buildStep(command, root);
    else this.sink.buildLog("No build command and no package.json: nothing to build");
  }

  private async buildImage(snapshotDir: string, root: string, key: string): Promise<string> {
    const engine = this.runner.engine as ContainerEngine;
    const tag = imageTag(this.spec, key);
    const dockerfile = dockerfileLocation(snapshotDir, root, this.spec.settings.dockerfilePath);
    if (!existsSync(dockerfile)) {
      throw new BuildError(
        `Dockerfile ${path.relative(snapshotDir, dockerfile)} does not exist in the source`,
      );
    }
    this.sink.buildLog(`Building image ${tag}`);
    try {
      await engine.buildImage({
        contextDir: root,
        dockerfile,
        tag,
        log: (line) => this.sink.buildLog(line),
        signal: this.abort.signal,
      });
    } catch (error) {
      if (this.stopping) throw new BuildError("cancelled");
      throw new BuildError(`Image build failed: ${(error as Error).message}`);
    }
    return tag;
  }

  /** How the service starts: the start command, else the image's command, else `npm start`. */
  private async planRun(prepared: PreparedBuild): Promise<RunPlan> {
    const { settings } = this.spec;
    const startCommand = settings.startCommand?.trim();
    if (prepared.image) {
      return {
        kind: "container",
        image: prepared.image,
        command: startCommand ? ["sh", "-c", startCommand] : undefined,
      };
    }
    const cwd = prepared.serviceRootDir;
    let imageEnv: Record<string, string> = {};
    let imageArgv: string[] | null = null;
    if (settings.builder === "DOCKERFILE") {
      const dockerfile = dockerfileLocation(prepared.snapshotDir, cwd, settings.dockerfilePath);
      const shown = path.relative(prepared.snapshotDir, dockerfile);
      const summary = parseDockerfile(await readFile(dockerfile, "utf8"), shown);
      imageEnv = summary.final.env;
      imageArgv = nativeImageCommand(summary.final, cwd);
      if (!startCommand && !imageArgv)
        throw new BuildError(`${shown} has no CMD or ENTRYPOINT and no start command is set`);
    }
    if (startCommand) return { kind: "native", cwd, argv: ["sh", "-c", startCommand], imageEnv };
    if (imageArgv) return { kind: "native", cwd, argv: imageArgv, imageEnv };
    const pkg = await readPackage(cwd);
    if (pkg?.scripts.start) return { kind: "native", cwd, argv: ["sh", "-c", "npm start"], imageEnv };
    throw new BuildError(
      "No start command could be found: set startCommand or a start script in package.json",
    );
  }

  // ------------------------------------------------------------ deploy

  private railwayDefaults(): Record<string, string> {
    const { spec } = this;
    const defaults: Record<string, string> = {
      RAILWAY_DEPLOYMENT_ID: spec.deploymentId,
      RAILWAY_PROJECT_ID: spec.projectId,
      RAILWAY_ENVIRONMENT_ID: spec.environmentId,
      RAILWAY_ENVIRONMENT_NAME: spec.environmentName,
      RAILWAY_ENVIRONMENT: spec.environmentName,
      RAILWAY_SERVICE_ID: spec.serviceId,
      RAILWAY_SERVICE_NAME: spec.serviceName,
    };
    if (spec.commitSha) defaults.RAILWAY_GIT_COMMIT_SHA = spec.commitSha;
    if (this.publicDomain) defaults.RAILWAY_PUBLIC_DOMAIN = this.publicDomain;
    return defaults;
  }

  private runtimeEnv(plan: RunPlan): Record<string, string> {
    const imageEnv = plan.kind === "native" ? plan.imageEnv : {};
    return { ...baseEnv(), ...imageEnv, ...this.railwayDefaults(), ...this.spec.variables };
  }

  private async runPreDeploy(
    command: string,
    plan: RunPlan,
    prepared: PreparedBuild,
    env: Record<string, string>,
  ): Promise<ProcessExit> {
    const onLine = (line: string, stream: "stdout" | "stderr") =>
      this.sink.deployLog(line, stream === "stderr" ? "error" : "info");
    if (plan.kind === "container") {
      const engine = this.runner.engine as ContainerEngine;
      const proc = engine.run({
        image: plan.image,
        name: `railyard-${this.spec.deploymentId}-predeploy`,
        env,
        command: ["sh", "-c", command],
        log: onLine,
      });
      const onAbort = () => void proc.stop("SIGKILL", 0);
      this.abort.signal.addEventListener("abort", onAbort, { once: true });
      const code = await proc.exited;
      this.abort.signal.removeEventListener("abort", onAbort);
      return { code, signal: null };
    }
    return runGroup({
      command: "sh",
      args: ["-c", command],
      cwd: prepared.serviceRootDir,
      env,
      signal: this.abort.signal,
      onLine,
    });
  }

  private launch(plan: RunPlan, env: Record<string, string>): Workload {
    const onLine = (line: string, stream: "stdout" | "stderr") =>
      this.sink.deployLog(line, stream === "stderr" ? "error" : "info");
    let workload: Workload;
    if (plan.kind === "container") {
      const engine = this.runner.engine as ContainerEngine;
      const proc = engine.run({
        image: plan.image,
        name: `railyard-${this.spec.deploymentId}`,
        env,
        command: plan.command,
        log: onLine,
      });
      workload = {
        exited: proc.exited.then((code) => ({ code, signal: null })),
        stop: (graceMs) => proc.stop("SIGTERM", graceMs),
        kill: () => void proc.stop("SIGKILL", 0),
      };
    } else {
      const [command, ...args] = plan.argv as [string, ...string[]];
      workload = spawnGroup({ command, args, cwd: plan.cwd, env, onLine });
    }
    this.workload = workload;
    return workload;
  }

  /** The crash-after-healthy fault: SIGKILL afterMs after SUCCESS and after every restart. */
  private armCrashFault(workload: Workload): void {
    const fault = this.spec.fault;
    if (fault?.kind !== "crash-after-healthy" && fault?.kind !== "crash-loop") return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.sink.deployLog(`railyard fault: crash-after-healthy kills the process (SIGKILL)`, "error");
      workload.kill();
    }, fault.afterMs ?? 1_000);
    this.timers.add(timer);
    void workload.exited.then(() => {
      clearTimeout(timer);
      this.timers.delete(timer);
    });
  }

  /** true once the health check passes (or, without one, once the process stayed up); else why not. */
  private async awaitHealthy(
    workload: Workload,
    port: number,
  ): Promise<true | { step: string; message: string }> {
    const { settings } = this.spec;
    let exit: ProcessExit | null = null;
    void workload.exited.then((result) => {
      exit = result;
    });
    const faultPath = this.spec.fault?.kind === "healthcheck-never-passes" ? NEVER_HEALTHY_PATH : null;
    const checkPath = faultPath ?? settings.healthcheckPath ?? null;
    const exitedEarly = (result: ProcessExit) => ({
      step: "DEPLOY",
      message: `Deployment failed: the process ${describeExit(result)} before it became ready`,
    });

    if (!checkPath) {
      await Promise.race([this.sleep(this.runner.startupGraceMs), workload.exited]);
      // A cron service runs its job and exits: a clean exit is a completed run, not a failure.
      if (exit && settings.cronSchedule && (exit as ProcessExit).code === 0) return true;
      if (exit) return exitedEarly(exit);
      return true;
    }

    const timeoutSeconds = settings.healthcheckTimeout ?? DEFAULT_HEALTHCHECK_TIMEOUT_SECONDS;
    this.sink.event("HEALTHCHECK", "STARTED");
    this.sink.buildLog(`Starting Healthcheck: path ${checkPath}, retry window ${timeoutSeconds}s`);
    const deadline = Date.now() + timeoutSeconds * 1000;
    let attempt = 0;
    while (!this.stopping) {
      if (exit) return exitedEarly(exit);
      attempt += 1;
      const remaining = deadline - Date.now();
      let answer = await probe(port, checkPath, Math.max(100, Math.min(5_000, remaining)));
      // Under the fault even a catch-all app that answers 200 everywhere does not pass.
      if (answer === 200 && faultPath) answer = 404;
      if (answer === 200) {
        this.sink.buildLog(`Healthcheck succeeded after ${attempt} attempt(s)`);
        this.sink.event("HEALTHCHECK", "SUCCEEDED");
        return true;
      }
      if (exit) return exitedEarly(exit);
      const left = deadline - Date.now();
      this.sink.buildLog(
        `Attempt #${attempt} failed with ${typeof answer === "number" ? `status ${answer}` : answer}. ${
          left > 0 ? `Continuing to retry for ${Math.ceil(left / 1000)}s` : "No time left"
        }`,
      );
      if (left <= 0) break;
      await Promise.race([this.sleep(Math.min(this.runner.healthcheckIntervalMs, left)), workload.exited]);
    }
    return { step: "HEALTHCHECK", message: "Healthcheck failed" };
  }

  /** After SUCCESS: wait for the process to exit and apply the restart policy. */
  private async supervise(first: Workload, plan: RunPlan, env: Record<string, string>): Promise<void> {
    const { settings } = this.spec;
    const policy = settings.restartPolicyType ?? "ON_FAILURE";
    const maxRetries = settings.restartPolicyMaxRetries ?? DEFAULT_ON_FAILURE_RETRIES;
    let workload = first;
    let restarts = 0;
    this.armCrashFault(workload);
    for (;;) {
      const exit = await workload.exited;
      if (this.stopping) return;
      const failed = exit.code !== 0;
      this.sink.instance?.(failed ? "CRASHED" : "EXITED");
      // Railway counts retries only for ON_FAILURE; ALWAYS restarts without a limit.
      const restart = policy === "ALWAYS" || (policy === "ON_FAILURE" && failed && restarts < maxRetries);
      if (!restart) {
        if (!failed) {
          this.sink.deployLog(`The process exited with code 0; not restarted (restart policy ${policy})`);
          return;
        }
        const reason =
          policy === "NEVER"
            ? "restart policy NEVER"
            : `${restarts} of ${maxRetries} restarts used (ON_FAILURE)`;
        this.sink.deployLog(`The process ${describeExit(exit)}; giving up: ${reason}`, "error");
        this.sink.status("CRASHED");
        return;
      }
      const delay = Math.min(this.runner.restartBackoffMs * 2 ** restarts, MAX_RESTART_BACKOFF_MS);
      restarts += 1;
      this.sink.deployLog(
        `The process ${describeExit(exit)}; restarting in ${(delay / 1000).toFixed(1)}s (${
          policy === "ALWAYS" ? `restart ${restarts}, policy ALWAYS` : `restart ${restarts} of ${maxRetries}`
        })`,
        failed ? "error" : "info",
      );
      this.sink.instance?.("RESTARTING");
      await this.sleep(delay);
      if (this.stopping) return;
      workload = this.launch(plan, env);
      this.sink.instance?.("INITIALIZING");
      this.sink.instance?.("RUNNING");
      this.armCrashFault(workload);
    }
  }
}

function describeExit(exit: ProcessExit): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

function imageTag(spec: DeploymentSpec, key: string): string {
  const service = spec.serviceName.toLowerCase().replace(/[^a-z0-9._-]+/g, "-") || "service";
  const source = spec.commitSha ? spec.commitSha.slice(0, 12).toLowerCase() : spec.deploymentId.toLowerCase();
  return `railyard-emulator/${service}:${source.replace(/[^a-z0-9._-]+/g, "-")}-${key.slice(0, 8)}`;
}

/** A free loopback port, found by binding port 0 (the kernel does not hand it out again at once). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One health-check request: the status code, or why there was none. */
function probe(port: number, checkPath: string, timeoutMs: number): Promise<number | string> {
  return new Promise((resolve) => {
    const request = http.get(
      {
        host: "127.0.0.1",
        port,
        path: checkPath,
        timeout: timeoutMs,
        headers: { "user-agent": "RailwayHealthCheck/1.0" },
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on("timeout", () => {
      request.destroy();
      resolve("no answer (timeout)");
    });
    request.on("error", (error: NodeJS.ErrnoException) =>
      resolve(error.code === "ECONNREFUSED" ? "service unavailable" : `error ${error.code ?? error.message}`),
    );
  });
}
