// The seam between the emulator's control plane (GraphQL API, state, deployment records)
// and its data plane (checking out, building and running a service for real).
// The control plane owns statuses and records; a runner reports through the sink.

import type { DeploymentInstanceStatus, DeploymentStatus, InstanceSettings } from "../railway-types.ts";

export interface DeploymentSpec {
  deploymentId: string;
  projectId: string;
  environmentId: string;
  environmentName: string;
  serviceId: string;
  serviceName: string;
  /** The commit to deploy, from the local git repository at repoDir; null for a source upload. */
  commitSha: string | null;
  repoDir: string;
  /** For a source upload: the folder the uploaded tarball was extracted to (the repo root of the upload). */
  uploadDir?: string;
  /** The service instance's live settings at deploy time (rootDirectory, builder, commands, health check...). */
  settings: InstanceSettings;
  /** Rendered variables (service + shared + Railway-provided such as RAILWAY_PUBLIC_DOMAIN). Secrets: never log. */
  variables: Record<string, string>;
  /** Simulated deployments (benchmarks): run no process, end in `outcome` after `durationMs`. */
  simulate?: { durationMs: number; outcome: "SUCCESS" | "FAILED" | "CRASHED" };
  /**
   * A fault applied for real by the runner (tests, benchmarks): the build step exits non-zero;
   * the process is SIGKILLed afterMs (default 1000) after it becomes healthy and after every
   * restart, so the restart policy runs out and the deployment ends CRASHED; or the health check
   * probes a path that never answers 200.
   */
  fault?: {
    kind: "build-fails" | "crash-after-healthy" | "crash-loop" | "healthcheck-never-passes";
    afterMs?: number;
  };
}

export interface DeploymentSink {
  status(status: DeploymentStatus): void;
  buildLog(message: string, severity?: "info" | "error"): void;
  deployLog(message: string, severity?: "info" | "error"): void;
  /** A deployment step (e.g. "BUILD", "PRE_DEPLOY", "DEPLOY", "HEALTHCHECK") changed state. */
  event(step: string, status: "STARTED" | "SUCCEEDED" | "FAILED", message?: string): void;
  /**
   * The instance (one run of the process) changed state: INITIALIZING when a process starts,
   * RUNNING once it serves, CRASHED/EXITED when it ends, RESTARTING while the restart policy
   * waits to start it again (deploymentInstanceExecutions).
   */
  instance?(status: DeploymentInstanceStatus): void;
}

export interface RunningDeployment {
  /** Stop serving: SIGTERM, wait up to drainingSeconds, then SIGKILL. Resolves when the process is gone. */
  stop(options?: { drainingSeconds?: number }): Promise<void>;
}

export interface DeploymentRunner {
  /** The stable loopback domain ("127.0.0.1:PORT") of a service in an environment, allocated on first call. */
  serviceDomain(serviceId: string, environmentId: string): Promise<string>;
  /**
   * Checks out, builds, runs the pre-deploy command, starts and health-checks a deployment,
   * reporting every status through the sink (QUEUED is set by the control plane before this is called).
   * When the new deployment is healthy, the runner routes the service domain to it; the control
   * plane then stops the previous deployment after overlapSeconds. A rollback or redeploy is a new
   * deployment whose spec repeats the earlier one's commit (a runner may reuse the earlier build).
   */
  start(spec: DeploymentSpec, sink: DeploymentSink, signal: AbortSignal): RunningDeployment;
  /** Stops every process and proxy the runner started (the emulator calls this on exit). */
  close(): Promise<void>;
}

/** Builds and runs images with a container engine (podman); used by the runner for DOCKERFILE services when present. */
export interface ContainerEngine {
  available(): Promise<boolean>;
  buildImage(options: {
    contextDir: string;
    dockerfile: string;
    tag: string;
    log: (line: string) => void;
    signal?: AbortSignal;
  }): Promise<void>;
  /** Runs a container on the host network; command overrides the image's CMD when given. */
  run(options: {
    image: string;
    name: string;
    env: Record<string, string>;
    command?: string[];
    log: (line: string, stream: "stdout" | "stderr") => void;
  }): ContainerProcess;
}

export interface ContainerProcess {
  readonly exited: Promise<number>;
  stop(signal: "SIGTERM" | "SIGKILL", graceMs: number): Promise<void>;
}
