// The deployment lifecycle of the control plane: records a deployment as QUEUED, hands it to
// the DeploymentRunner, records what the runner reports, and retires the previous deployment
// of the service instance (REMOVING → REMOVED after overlapSeconds, draining drainingSeconds)
// once the new one reaches SUCCESS. Statuses a fault asks for (WAITING, SKIPPED,
// NEEDS_APPROVAL) are set here without running anything.

import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import type { Faults, RunFaultKind } from "./faults.ts";
import type { DeploymentStatus, InstanceSettings } from "./railway-types.ts";
import type { DeploymentRunner, DeploymentSink, DeploymentSpec } from "./runner/types.ts";
import {
  type DeploymentMeta,
  type DeploymentRecord,
  type EmulatorState,
  effectiveSettings,
} from "./state.ts";

const run = promisify(execFile);

/** A request the API must refuse with this message (becomes a GraphQL error). */
export class DeployError extends Error {
  override name = "DeployError";
}

/** Runner step names → Railway's DeploymentEventStep. */
const STEP_NAMES: Record<string, string> = {
  BUILD: "BUILD_IMAGE",
  PRE_DEPLOY: "PRE_DEPLOY_COMMAND",
  DEPLOY: "CREATE_CONTAINER",
  HEALTHCHECK: "HEALTHCHECK",
};
const EVENT_STEPS = new Set([
  "BUILD_IMAGE",
  "CONFIGURE_NETWORK",
  "CREATE_CONTAINER",
  "DRAIN_INSTANCES",
  "HEALTHCHECK",
  "MIGRATE_VOLUMES",
  "PRE_DEPLOY_COMMAND",
  "PUBLISH_IMAGE",
  "SNAPSHOT_CODE",
  "WAIT_FOR_DEPENDENCIES",
]);

const IN_PROGRESS: ReadonlySet<DeploymentStatus> = new Set([
  "QUEUED",
  "WAITING",
  "INITIALIZING",
  "BUILDING",
  "DEPLOYING",
  "NEEDS_APPROVAL",
]);

interface Snapshot {
  settings: InstanceSettings;
  variables: Record<string, string>;
}

export class Deployer {
  readonly #snapshots = new Map<string, Snapshot>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #stopping = new Set<Promise<void>>();
  #closed = false;

  constructor(
    private readonly state: EmulatorState,
    private readonly runner: DeploymentRunner,
    private readonly faults: Faults,
    private readonly repoDir: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Gives every deployable service instance its service domain (variables reference them). */
  async allocateDomains(): Promise<void> {
    for (const instance of this.state.instances.values()) {
      const service = this.state.service(instance.serviceId);
      if (service && !service.external) {
        instance.serviceDomain = await this.runner.serviceDomain(instance.serviceId, instance.environmentId);
      }
    }
  }

  async resolveCommit(commitSha: string | null): Promise<{ sha: string; message: string; branch?: string }> {
    const ref = commitSha ?? "HEAD";
    if (!/^[0-9a-zA-Z_./-]+$/.test(ref) || ref.startsWith("-"))
      throw new DeployError(`Invalid commit SHA "${ref}"`);
    try {
      const { stdout } = await run("git", [
        "-C",
        this.repoDir,
        "rev-parse",
        "--verify",
        "--quiet",
        `${ref}^{commit}`,
      ]);
      const sha = stdout.trim();
      const { stdout: message } = await run("git", ["-C", this.repoDir, "log", "-1", "--format=%s", sha]);
      let branch: string | undefined;
      try {
        branch = (await run("git", ["-C", this.repoDir, "rev-parse", "--abbrev-ref", "HEAD"])).stdout.trim();
      } catch {
        branch = undefined;
      }
      return { sha, message: message.trim(), branch };
    } catch {
      throw new DeployError(`Commit ${ref} not found in the repository`);
    }
  }

  #target(environmentId: string, serviceId: string) {
    const service = this.state.service(serviceId);
    const environment = this.state.environment(environmentId);
    const instance = this.state.instance(serviceId, environmentId);
    if (!service || !environment || !instance || environment.projectId !== service.projectId) {
      throw new DeployError("ServiceInstance not found");
    }
    if (service.external) {
      throw new DeployError(
        `Service ${service.name} is provided by the machine in the emulator and cannot be deployed`,
      );
    }
    return { service, environment, instance };
  }

  async deployCommit(
    environmentId: string,
    serviceId: string,
    commitSha: string | null,
  ): Promise<DeploymentRecord> {
    const { service, instance } = this.#target(environmentId, serviceId);
    if (!service.source?.repo) {
      throw new DeployError(
        `Service ${service.name} has no source repository; connect a repo or upload the source (railway up)`,
      );
    }
    const commit = await this.resolveCommit(commitSha);
    const meta: DeploymentMeta = {
      reason: "deploy",
      commitHash: commit.sha,
      commitMessage: commit.message,
      ...(commit.branch ? { branch: commit.branch } : {}),
      rootDirectory: instance.settings.rootDirectory ?? null,
    };
    return this.#create(environmentId, serviceId, meta, commit.sha, undefined, undefined);
  }

  deployUpload(environmentId: string, serviceId: string, uploadDir: string): DeploymentRecord {
    const { instance } = this.#target(environmentId, serviceId);
    const meta: DeploymentMeta = { reason: "upload", rootDirectory: instance.settings.rootDirectory ?? null };
    return this.#create(environmentId, serviceId, meta, null, uploadDir, undefined);
  }

  /** A new deployment of the same source with the service's current settings and variables. */
  redeploy(source: DeploymentRecord): DeploymentRecord {
    this.#target(source.environmentId, source.serviceId);
    const meta: DeploymentMeta = { ...source.meta, reason: "redeploy", sourceDeploymentId: source.id };
    return this.#create(
      source.environmentId,
      source.serviceId,
      meta,
      source.commitSha,
      source.uploadDir,
      undefined,
    );
  }

  /** A new deployment repeating an earlier successful one: its source, settings and variables. */
  rollback(source: DeploymentRecord): DeploymentRecord {
    this.#target(source.environmentId, source.serviceId);
    if (!source.everSucceeded) throw new DeployError("Cannot rollback to a deployment that never succeeded");
    const meta: DeploymentMeta = { ...source.meta, reason: "rollback", sourceDeploymentId: source.id };
    return this.#create(
      source.environmentId,
      source.serviceId,
      meta,
      source.commitSha,
      source.uploadDir,
      this.#snapshots.get(source.id),
    );
  }

  async cancel(record: DeploymentRecord): Promise<void> {
    if (!IN_PROGRESS.has(record.status)) {
      throw new DeployError(`Deployment is ${record.status} and cannot be cancelled`);
    }
    record.abort.abort();
    this.state.setStatus(record, "REMOVED");
    this.#track(record.running?.stop({ drainingSeconds: 0 }));
  }

  #create(
    environmentId: string,
    serviceId: string,
    meta: DeploymentMeta,
    commitSha: string | null,
    uploadDir: string | undefined,
    snapshot: Snapshot | undefined,
  ): DeploymentRecord {
    if (this.#closed) throw new DeployError("The emulator is shutting down");
    const { service, environment, instance } = this.#target(environmentId, serviceId);
    const record = this.state.createDeployment({
      projectId: service.projectId,
      environmentId,
      serviceId,
      meta,
      commitSha,
      ...(uploadDir ? { uploadDir } : {}),
    });
    const settings = snapshot?.settings ?? effectiveSettings(instance.settings);
    const variables = snapshot?.variables ?? {
      ...this.state.variablesForDeployment(service.projectId, environmentId, serviceId),
      RAILWAY_DEPLOYMENT_ID: record.id,
      ...(commitSha ? { RAILWAY_GIT_COMMIT_SHA: commitSha } : {}),
      ...(meta.branch ? { RAILWAY_GIT_BRANCH: meta.branch } : {}),
      ...(meta.commitMessage ? { RAILWAY_GIT_COMMIT_MESSAGE: meta.commitMessage } : {}),
    };
    this.#snapshots.set(record.id, { settings, variables });

    // On Railway a deployment read right after it is created may not be found yet.
    const hiddenFor = this.faults.takeInvisibility(service.id, service.name);
    if (hiddenFor !== undefined) record.hiddenUntil = Date.now() + hiddenFor;

    const taken = this.faults.takeDeploymentFault(service.id, service.name);
    const fault = taken?.kind as RunFaultKind | undefined;
    for (const line of taken?.logLines ?? []) this.#addLog(record, "buildLogs", line, "info");
    if (fault === "waiting" || fault === "skipped" || fault === "needs-approval") {
      const status: DeploymentStatus =
        fault === "waiting" ? "WAITING" : fault === "skipped" ? "SKIPPED" : "NEEDS_APPROVAL";
      const reason =
        fault === "waiting"
          ? "Waiting for GitHub check suites to pass (Wait for CI)"
          : fault === "skipped"
            ? "Skipped: no changed file matches the watch patterns, or a check suite failed"
            : "Waiting for approval: the commit author is not a member of the project";
      this.#addLog(record, "buildLogs", reason, "info");
      this.state.setStatus(record, status);
      return record;
    }

    const spec: DeploymentSpec = {
      deploymentId: record.id,
      projectId: service.projectId,
      environmentId,
      environmentName: environment.name,
      serviceId,
      serviceName: service.name,
      commitSha,
      repoDir: this.repoDir,
      ...(uploadDir ? { uploadDir } : {}),
      settings,
      variables,
      ...(fault ? { fault: { kind: fault } } : {}),
    };
    const sink: DeploymentSink = {
      status: (status) => this.#onStatus(record, status),
      buildLog: (message, severity) => this.#addLog(record, "buildLogs", message, severity ?? "info"),
      deployLog: (message, severity) => this.#addLog(record, "deployLogs", message, severity ?? "info"),
      event: (step, status, message) => this.#addEvent(record, step, status, message),
      instance: (status) => {
        // A removed deployment's instance is the control plane's (setStatus closes it).
        if (record.status === "REMOVED" || record.status === "REMOVING") return;
        this.state.setInstanceStatus(record, status);
      },
    };
    try {
      record.running = this.runner.start(spec, sink, record.abort.signal);
    } catch (error) {
      this.#addLog(
        record,
        "buildLogs",
        `the runner could not start the deployment: ${(error as Error).message}`,
        "error",
      );
      this.state.setStatus(record, "FAILED");
    }
    return record;
  }

  #onStatus(record: DeploymentRecord, status: DeploymentStatus): void {
    // REMOVING/REMOVED (cancelled or replaced) and SKIPPED belong to the control plane.
    if (record.status === "REMOVED" || record.status === "REMOVING" || record.status === "SKIPPED") return;
    if (record.status === "FAILED" && status !== "FAILED") return;
    this.state.setStatus(record, status);
    if (status === "SUCCESS") this.#retirePrevious(record);
  }

  /** The newest successful deployment serves; every other active one is removed after overlapSeconds. */
  #retirePrevious(winner: DeploymentRecord): void {
    const all = this.state.deploymentsOf(winner.serviceId, winner.environmentId);
    const newerSuccess = all.findIndex((d) => d.status === "SUCCESS") < all.indexOf(winner);
    const instance = this.state.instance(winner.serviceId, winner.environmentId);
    const overlapMs = (instance?.settings.overlapSeconds ?? 0) * 1000;
    const drainingSeconds = instance?.settings.drainingSeconds ?? 0;
    const losers = newerSuccess
      ? [winner]
      : all.filter(
          (d) =>
            d !== winner &&
            all.indexOf(d) > all.indexOf(winner) &&
            ["SUCCESS", "CRASHED", "SLEEPING"].includes(d.status),
        );
    for (const old of losers) {
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          if (old.status === "REMOVED" || old.status === "REMOVING") return;
          this.state.setStatus(old, "REMOVING");
          this.#addEvent(old, "DRAIN_INSTANCES", "STARTED");
          const stopped = (old.running?.stop({ drainingSeconds }) ?? Promise.resolve()).then(
            () => {
              this.#addEvent(old, "DRAIN_INSTANCES", "SUCCEEDED");
              this.state.setStatus(old, "REMOVED");
            },
            (error: Error) => {
              this.log(`stopping deployment ${old.id} failed: ${error.message}`);
              this.state.setStatus(old, "REMOVED");
            },
          );
          this.#track(stopped);
        },
        newerSuccess ? 0 : overlapMs,
      );
      this.#timers.add(timer);
    }
  }

  #track(promise: Promise<void> | undefined): void {
    if (!promise) return;
    const p = promise.catch(() => {}).finally(() => this.#stopping.delete(p));
    this.#stopping.add(p);
  }

  #addLog(
    record: DeploymentRecord,
    which: "buildLogs" | "deployLogs",
    message: string,
    severity: string,
  ): void {
    const log = { message, severity, timestamp: new Date().toISOString() };
    record[which].push(log);
    this.state.emit({ kind: which === "buildLogs" ? "buildLog" : "deployLog", deploymentId: record.id, log });
  }

  #addEvent(
    record: DeploymentRecord,
    rawStep: string,
    status: "STARTED" | "SUCCEEDED" | "FAILED",
    message?: string,
  ): void {
    const step = STEP_NAMES[rawStep] ?? rawStep;
    if (!EVENT_STEPS.has(step)) {
      this.#addLog(
        record,
        "buildLogs",
        `step ${rawStep}: ${status}${message ? ` (${message})` : ""}`,
        "info",
      );
      return;
    }
    const now = new Date().toISOString();
    let event =
      status === "STARTED"
        ? undefined
        : [...record.events].reverse().find((e) => e.step === step && !e.completedAt);
    if (!event) {
      event = { id: randomUUID(), step, createdAt: now, completedAt: null, payload: null };
      record.events.push(event);
    }
    if (status !== "STARTED") {
      event.completedAt = now;
      event.payload = {
        durationMs: Date.parse(now) - Date.parse(event.createdAt),
        ...(status === "FAILED"
          ? { error: message ?? `${step} failed` }
          : message
            ? { detail: message }
            : {}),
      };
    }
    this.state.emit({ kind: "event", deploymentId: record.id, event });
  }

  /** Stops every deployment and the runner; resolves when everything it started is gone. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const record of this.state.deployments.values()) {
      record.abort.abort();
      this.#track(record.running?.stop({ drainingSeconds: 0 }));
    }
    await Promise.all([...this.#stopping]);
    await this.runner.close();
  }
}
