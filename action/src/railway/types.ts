// The Railway API as the pipeline sees it. RailwayClient (client.ts) implements it over
// Railway's public GraphQL API; every operation is a named document in operations.ts.

import type { ServiceSettings } from "../config/types.ts";
import type {
  ChangeSet,
  ChangeSetApplyResult,
  ChangeSetPreview,
  EnvironmentConfig,
} from "./environment-config.ts";

export type DeploymentStatus =
  | "BUILDING"
  | "CRASHED"
  | "DEPLOYING"
  | "FAILED"
  | "INITIALIZING"
  | "NEEDS_APPROVAL"
  | "QUEUED"
  | "REMOVED"
  | "REMOVING"
  | "SKIPPED"
  | "SLEEPING"
  | "SUCCESS"
  | "WAITING";

export interface RailwayService {
  id: string;
  name: string;
}

export interface RailwayEnvironment {
  id: string;
  name: string;
}

export interface ProjectInfo {
  id: string;
  name: string;
  services: RailwayService[];
  environments: RailwayEnvironment[];
}

export interface TokenScope {
  kind: "account" | "project";
  /** Set for project tokens. */
  projectId?: string;
  environmentId?: string;
}

export interface DeploymentInfo {
  id: string;
  status: DeploymentStatus;
  serviceId?: string | null;
  url?: string | null;
  staticUrl?: string | null;
  createdAt?: string;
  canRollback?: boolean;
  /** DeploymentMeta JSON; commitHash lives here for GitHub-sourced deploys. */
  meta?: Record<string, unknown> | null;
}

/** Live settings of a service in an environment (ServiceInstance). */
export interface ServiceInstanceInfo extends ServiceSettings {
  serviceId: string;
  environmentId: string;
  source?: { repo?: string | null; image?: string | null } | null;
  latestDeployment?: DeploymentInfo | null;
  domains: {
    serviceDomains: { domain: string }[];
    customDomains: {
      domain: string;
      verified: boolean;
      certificateStatus?: string | null;
      /** The DNS records Railway asks for (read with the live state only). */
      dnsRecords?: DnsRecord[];
    }[];
  };
}

/** A DNS record Railway lists for a custom domain: what it requires and whether it is there. */
export interface DnsRecord {
  /** CNAME, A, TXT, ... (Railway's DNS_RECORD_TYPE_ prefix removed). */
  type: string;
  fqdn: string;
  requiredValue: string;
  /** Railway's DNSRecordStatus, e.g. DNS_RECORD_STATUS_REQUIRES_UPDATE or _PROPAGATED. */
  status: string;
}

/** What the environment config does not hold about a service instance. */
export interface LiveInstance {
  serviceId: string;
  source?: { repo?: string | null; image?: string | null } | null;
  latestDeployment?: DeploymentInfo | null;
  domains: ServiceInstanceInfo["domains"];
}

/** An environment as Railway has it now: its config, the etag of that config, its instances. */
export interface EnvironmentState {
  id: string;
  configEtag: string;
  config: EnvironmentConfig;
  instances: LiveInstance[];
}

export type DeploymentInstanceStatus =
  | "CRASHED"
  | "CREATED"
  | "EXITED"
  | "INITIALIZING"
  | "REMOVED"
  | "REMOVING"
  | "RESTARTING"
  | "RUNNING"
  | "SKIPPED"
  | "STOPPED";

/** One run of a deployment's instance. */
export interface InstanceExecution {
  id: string;
  deploymentId: string;
  status: DeploymentInstanceStatus;
  createdAt: string;
  completedAt?: string | null;
}

export interface DeploymentEvent {
  step: string;
  status: string;
  message?: string;
  createdAt?: string;
}

export interface LogLine {
  message: string;
  severity?: string | null;
  timestamp?: string;
}

export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  resetAt?: string;
}

export interface DeploymentTriggerInfo {
  id: string;
  branch: string;
  repository: string;
  checkSuites: boolean;
}

/** Options of a deploy request (deployCommit, uploadSource). */
export interface DeployRequestOptions {
  /** Cuts the looking for a lost answer's deployment short. */
  signal?: AbortSignal;
  /**
   * The service's deployment ids read before the request (a batched read for the whole run);
   * without it the client reads them itself, one request per deploy.
   */
  existingDeploymentIds?: ReadonlySet<string>;
}

export interface RailwayApi {
  tokenScope(): Promise<TokenScope>;
  project(projectId: string): Promise<ProjectInfo>;
  serviceInstance(environmentId: string, serviceId: string): Promise<ServiceInstanceInfo>;
  /** The environment's config (variables masked), its etag and every instance's deployment and domains: one request. */
  environmentState(environmentId: string): Promise<EnvironmentState>;
  /** Railway's preview of a change set: the changes that are real (no-ops dropped against the stored values). */
  previewChangeSet(environmentId: string, changeSet: ChangeSet): Promise<ChangeSetPreview>;
  /**
   * Applies a change set atomically and follows it until Railway is done. With baseConfigEtag,
   * Railway refuses it (RailwayConflictError) when the environment changed since that etag.
   */
  applyChangeSet(
    environmentId: string,
    changeSet: ChangeSet,
    options: { baseConfigEtag?: string; commitMessage?: string; signal?: AbortSignal },
  ): Promise<ChangeSetApplyResult>;
  updateServiceInstance(serviceId: string, environmentId: string, input: ServiceSettings): Promise<void>;
  /** Rendered variables a deployment of the service receives. Every value is masked by the client. */
  variablesForDeployment(
    projectId: string,
    environmentId: string,
    serviceId: string,
  ): Promise<Record<string, string>>;
  /** variablesForDeployment of many services in one request per 100 (aliased fields); keyed by service id. */
  variablesForDeployments?(
    projectId: string,
    environmentId: string,
    serviceIds: string[],
  ): Promise<Map<string, Record<string, string>>>;
  upsertVariables(
    projectId: string,
    environmentId: string,
    serviceId: string,
    variables: Record<string, string>,
  ): Promise<void>;
  deploymentTriggers(
    projectId: string,
    environmentId: string,
    serviceId: string,
  ): Promise<DeploymentTriggerInfo[]>;
  /** deploymentTriggers of many services in one request per 100 (aliased fields); keyed by service id. */
  deploymentTriggersMany?(
    projectId: string,
    environmentId: string,
    serviceIds: string[],
  ): Promise<Map<string, DeploymentTriggerInfo[]>>;
  /**
   * Deploys a commit; returns the deployment id. The mutation is never sent twice: after an
   * ambiguous failure the client looks for the deployment it created, and throws
   * RailwayDeployUnknownError when none appears (the signal cuts the looking short).
   */
  deployCommit(
    environmentId: string,
    serviceId: string,
    commitSha: string,
    options?: DeployRequestOptions,
  ): Promise<string>;
  /** Source upload (what `railway up` does); returns the deployment id. Reconciled like deployCommit. */
  uploadSource(
    projectId: string,
    environmentId: string,
    serviceId: string,
    tarball: Uint8Array,
    options?: DeployRequestOptions,
  ): Promise<string>;
  /** Recent deployments of many services, newest first: one request per 100 services; keyed by service id. */
  recentDeploymentsMany?(
    projectId: string,
    environmentId: string,
    serviceIds: string[],
    first?: number,
  ): Promise<Map<string, DeploymentInfo[]>>;
  deployment(id: string): Promise<DeploymentInfo>;
  /** Status of many deployments in one request (aliased fields). */
  deploymentStatuses(ids: string[]): Promise<Map<string, DeploymentInfo>>;
  /** Recent deployments of a service, newest first. */
  deployments(
    projectId: string,
    environmentId: string,
    serviceId: string,
    first?: number,
  ): Promise<DeploymentInfo[]>;
  deploymentEvents(id: string): Promise<DeploymentEvent[]>;
  buildLogs(deploymentId: string, limit?: number): Promise<LogLine[]>;
  deploymentLogs(deploymentId: string, limit?: number): Promise<LogLine[]>;
  rollback(deploymentId: string): Promise<void>;
  cancel(deploymentId: string): Promise<void>;
  /**
   * The runs of a service's instances (deploymentInstanceExecutions), newest first. A deployment
   * stays SUCCESS while its instance crashes and restarts: this is where that shows.
   */
  instanceExecutions?(environmentId: string, serviceId: string, first?: number): Promise<InstanceExecution[]>;
  /** instanceExecutions of many services: one request per 100 services; keyed by service id. */
  instanceExecutionsMany?(
    environmentId: string,
    serviceIds: string[],
    first?: number,
  ): Promise<Map<string, InstanceExecution[]>>;
  /**
   * Follows deployments until each reaches a terminal status or the signal aborts:
   * a WebSocket subscription when it works, batched polling with an adaptive interval otherwise.
   * Calls onChange for every status change seen.
   */
  watchDeployments(
    ids: string[],
    options: {
      signal?: AbortSignal;
      onChange?: (d: DeploymentInfo) => void;
      isDone?: (d: DeploymentInfo) => boolean;
    },
  ): Promise<Map<string, DeploymentInfo>>;
  /** Declares variable values the repository itself holds (fixed `set` values): not masked. */
  treatAsPublic?(variables: readonly (readonly [name: string, value: string])[]): void;
  /** Rate-limit headers of the latest answer. */
  readonly rateLimit: RateLimitInfo;
  /** Requests sent so far (HTTP requests and subscription starts). */
  readonly requestCount: number;
}
