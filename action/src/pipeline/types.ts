// The pipeline's plain values: what goes in (PipelineOptions) and what comes out
// (PipelineResult). The front doors (main.ts, cli.ts) turn results into output.
import type { Finding, SourceLocation } from "../config/types.ts";
import type { DeploymentStatus } from "../railway/types.ts";
import type { ResourceRow } from "./provision.ts";

export type Mode = "validate" | "plan" | "deploy" | "redeploy";

export interface PipelineOptions {
  mode: Mode;
  /** The repository checkout (config files and git history). */
  repoDir: string;
  /** Commit to deploy; defaults to HEAD of repoDir. */
  commitSha?: string;
  /** Branch being deployed (for the double-deploy and Wait-for-CI checks). */
  branch?: string;
  /** Config files, repo-relative; default: every railway.toml the loader finds. */
  configFiles?: string[];
  /** Plain railway.toml files linked to Railway services by the user: service name → file. */
  serviceConfigs?: Record<string, string>;
  projectId?: string;
  environment: string;
  /** redeploy: an explicit list or "all". deploy/plan: restricts the run to these services. */
  services?: string[] | "all";
  timeoutMs: number;
  concurrency: number;
  rollback: boolean;
  /** Delete Railway services and databases no file declares; otherwise they are only listed. */
  deleteUndeclared?: boolean;
  smoke: boolean;
  smokeTimeoutMs: number;
  /** A deployment that crashes within this window after SUCCESS counts as failed. */
  stabilityMs: number;
  browserPath?: string;
  apiUrl?: string;
  frontendUrl?: string;
  /** Aborts the run (SIGINT/SIGTERM): no new deployment starts, waiting stops, the report says what happened. */
  signal?: AbortSignal;
}

export type PipelineEvent =
  | { kind: "stage"; stage: string }
  | { kind: "info"; message: string }
  | { kind: "warning"; message: string }
  | { kind: "deployment"; service: string; deploymentId: string; status: DeploymentStatus };

export interface ServicePlan {
  service: string;
  serviceId?: string;
  deploy: boolean;
  reason: string;
  /** The commit the live deployment runs, when known. */
  liveCommit?: string;
  liveDeploymentId?: string;
  changedFiles?: string[];
  /** "commit" deploys through GitHub (serviceInstanceDeployV2), "upload" sends a tarball. */
  source?: "commit" | "upload";
}

export interface VariableProblem {
  name: string;
  problem: "missing" | "empty";
  location: SourceLocation;
}

export interface VariableCheck {
  service: string;
  ok: boolean;
  problems: VariableProblem[];
  /** Fixed variables from config that differ from Railway (names only). */
  fixedToSet: string[];
}

/** One row of the plan's table: a setting, a fixed variable or a domain. */
export interface SettingChange {
  /** Where it sits in the environment config: "build.builder", "variables.CONTAINER_ROLE", "domains.x", "configFile". */
  field: string;
  live: unknown;
  wanted: unknown;
  kind?: "setting" | "variable" | "domain";
  severity?: "safe" | "destructive";
  /** Railway answered the live value masked: the preview decides whether it is a change. */
  unverified?: boolean;
}

export interface SettingsDiff {
  service: string;
  changes: SettingChange[];
  applied: boolean;
  /** Declared fields Railway offers no way to set: named, never applied. */
  unsupported?: string[];
}

export interface DeploymentFailure {
  step?: string;
  message: string;
  logTail: string[];
}

export interface DeploymentRecord {
  service: string;
  deploymentId?: string;
  /**
   * UNKNOWN: the deploy request got no clear answer and no deployment of it was found (it may
   * have deployed); CANCELLED: cancelled by this run when it was interrupted; INTERRUPTED: still
   * in progress in Railway when the run was interrupted.
   */
  status:
    | DeploymentStatus
    | "NOT_STARTED"
    | "TIMED_OUT"
    | "WAITING_FOR_CI"
    | "INTERRUPTED"
    | "CANCELLED"
    | "UNKNOWN";
  startedAt?: number;
  durationMs?: number;
  url?: string;
  failure?: DeploymentFailure;
}

export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** The check could not run here (no browser library); it neither passes nor fails the run. */
  skipped?: boolean;
}

export interface RollbackRecord {
  service: string;
  toDeploymentId?: string;
  newDeploymentId?: string;
  ok: boolean;
  detail: string;
}

export interface PipelineResult {
  mode: Mode;
  ok: boolean;
  /** The one clear reason for a failure. */
  reason?: string;
  commitSha?: string;
  projectId?: string;
  environment: string;
  findings: Finding[];
  notes: string[];
  /** What must exist in Railway: created, kept (undeclared) or deleted (pipeline/provision.ts). */
  resources?: ResourceRow[];
  plan: ServicePlan[];
  variables: VariableCheck[];
  settings: SettingsDiff[];
  deployments: DeploymentRecord[];
  smoke: SmokeCheck[];
  rollbacks: RollbackRecord[];
  urls: { api?: string; frontend?: string; services: Record<string, string> };
  budget?: { requests: number; remaining?: number; limit?: number; resetAt?: string };
  /** 2 when the run failed on bad input (the token is invalid, expired or of another scope); else 1 on failure. */
  exitCode?: number;
}

/** A failure meant for a person, thrown by stages and caught by the pipeline. */
export class PipelineError extends Error {
  override readonly name = "PipelineError";
  /** True for usage problems (exit 2), false for config errors and failed runs (exit 1). */
  readonly usage: boolean;
  constructor(message: string, options: { usage?: boolean } = {}) {
    super(message);
    this.usage = options.usage ?? false;
  }
}
