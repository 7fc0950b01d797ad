// RailwayClient: the RailwayApi over Railway's public GraphQL API (or the local emulator).
// Decisions: docs/decisions/0040-railway-client.md (auth, retries, deploy dedup),
// 0041-secret-redaction.md, 0042-dockerfile-builder.md, 0043-watching-deployments.md.

import type { ServiceSettings } from "../config/types.ts";
import { TERMINAL_STATUSES, toDeployment } from "./deployment-info.ts";
import type {
  ChangeSet,
  ChangeSetApplyResult,
  ChangeSetPreview,
  EnvironmentConfig,
} from "./environment-config.ts";
import {
  RailwayApiError,
  RailwayAuthError,
  RailwayConflictError,
  RailwayDeployUnknownError,
  RailwayNetworkError,
  RailwayNotFoundError,
} from "./errors.ts";
import * as ops from "./operations.ts";
import { SecretRegistry } from "./secrets.ts";
import { type GraphQLAnswer, type Replay, type RetryOptions, sleep, Transport } from "./transport.ts";
import type {
  DeploymentEvent,
  DeploymentInfo,
  DeploymentTriggerInfo,
  DeployRequestOptions,
  EnvironmentState,
  InstanceExecution,
  LogLine,
  ProjectInfo,
  RailwayApi,
  RateLimitInfo,
  ServiceInstanceInfo,
  TokenScope,
} from "./types.ts";
import { DeploymentWatcher, type WatchOptions } from "./watch.ts";

export { toDeployment } from "./deployment-info.ts";

export const DEFAULT_ENDPOINT = "https://backboard.railway.com/graphql/v2";

export interface RailwayClientOptions {
  /** GraphQL endpoint; subscriptions use the same path over WebSocket. */
  endpoint?: string;
  token: string;
  /** "auto" (default) asks Railway through the `projectToken` query. */
  tokenKind?: "account" | "project" | "auto";
  /** Called for the token and for every variable value read (the action passes core.setSecret). */
  onSecret?: (value: string) => void;
  retry?: RetryOptions;
  /** Per-request timeout for headers and body (default 30 s). */
  requestTimeoutMs?: number;
  /** Diagnostic lines (retries, fallbacks); already redacted. */
  log?: (message: string) => void;
  watch?: WatchOptions;
  /** Service instances per page of the environment read (default 500, as Railway's CLI). */
  instancesPageSize?: number;
  /** Clock skew tolerated when matching a deployment created by an interrupted deploy request (default 5 s). */
  deployLookupSkewMs?: number;
  /**
   * How long to look for the deployment an unanswered deploy request may have created before
   * saying its outcome is unknown (default 60 s: Railway's own processing time, and more).
   */
  deployReconcileMs?: number;
}

export { TERMINAL_STATUSES };

type Json = Record<string, unknown>;

/**
 * Railway-provided metadata: names, ids, domains and git facts that the report shows anyway.
 * Masking them would turn every "api" or "production" in the job log into "***". A variable of
 * these names is exempt only when Railway set it, never because of its name alone: one the user
 * set is masked like every other value (docs/decisions/0041 and 0125).
 */
const publicKey = (name: string, value: string) => `${name}\u0000${value}`;

const PUBLIC_RAILWAY_VARIABLE =
  /^RAILWAY_(?:(?:PROJECT|ENVIRONMENT|SERVICE)_(?:NAME|ID)|ENVIRONMENT|PUBLIC_DOMAIN|PRIVATE_DOMAIN|STATIC_URL|DEPLOYMENT_ID|REPLICA_ID|REPLICA_REGION|SNAPSHOT_ID|GIT_COMMIT_SHA|GIT_BRANCH|GIT_REPO_NAME|GIT_REPO_OWNER|SERVICE_[A-Z0-9_]+_URL)$/;

export class RailwayClient implements RailwayApi {
  readonly endpoint: string;
  readonly secrets: SecretRegistry;
  readonly #token: string;
  readonly #transport: Transport;
  readonly #log: (message: string) => void;
  readonly #watcher: DeploymentWatcher;
  readonly #skewMs: number;
  readonly #reconcileMs: number;
  readonly #pageSize: number;
  #kind: "account" | "project" | "auto";
  #scope?: Promise<TokenScope>;
  /** Set once any request with this token succeeded: later "Not Authorized" is about scope, not validity. */
  #tokenAccepted = false;
  readonly #publicValues = new Set<string>();
  /** Per "environmentId/serviceId": the names of the variables the user set. */
  readonly #userVariables = new Map<string, Set<string>>();

  constructor(options: RailwayClientOptions) {
    if (!options.token)
      throw new RailwayAuthError(
        "invalid-or-expired",
        "No Railway token was given. Set the RAILWAY_TOKEN secret.",
      );
    // A header cannot carry a line break: undici would fail every request as a network error.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
    if (/[\s\u0000-\u001f\u007f]/.test(options.token))
      throw new RailwayAuthError(
        "invalid-or-expired",
        "The Railway token holds whitespace or control characters: the token is invalid. Copy it again without spaces or line breaks.",
      );
    this.endpoint = options.endpoint ?? DEFAULT_ENDPOINT;
    this.secrets = new SecretRegistry(options.onSecret);
    this.#token = options.token;
    this.secrets.add(options.token);
    this.#kind = options.tokenKind ?? "auto";
    const log = options.log;
    this.#log = log ? (m) => log(this.secrets.redact(m)) : () => {};
    this.#transport = new Transport(this.secrets, options.retry, options.requestTimeoutMs, this.#log);
    this.#watcher = new DeploymentWatcher(this, options.watch ?? {});
    this.#skewMs = options.deployLookupSkewMs ?? 5_000;
    this.#reconcileMs = options.deployReconcileMs ?? 60_000;
    this.#pageSize = options.instancesPageSize ?? ops.INSTANCES_PAGE_SIZE;
  }

  get rateLimit(): RateLimitInfo {
    return this.#transport.rateLimit;
  }

  get requestCount(): number {
    return this.#transport.requestCount;
  }

  /** Requests held back to stay within the rate limits, and for how long in all. */
  get pacing(): { delayedRequests: number; delayedMs: number } {
    return this.#transport.pacing;
  }

  /** Releases the HTTP connection pool. */
  async close(): Promise<void> {
    this.#watcher.close();
    await this.#transport.close();
  }

  /** The auth headers for the resolved token kind (HTTP and WebSocket upgrade alike). */
  async authHeaders(): Promise<Record<string, string>> {
    const scope = await this.tokenScope();
    return scope.kind === "project"
      ? { "Project-Access-Token": this.#token }
      : { Authorization: `Bearer ${this.#token}` };
  }

  /** A subscription start: paced and counted as a request, as Railway's limits count it. */
  async startSubscription(): Promise<void> {
    await this.#transport.reserve("subscription");
  }

  /** Requests sent so far, by operation name (subscription starts as "subscription"). */
  get requestsByOperation(): ReadonlyMap<string, number> {
    return this.#transport.requestsByOperation;
  }

  get log(): (message: string) => void {
    return this.#log;
  }

  tokenScope(): Promise<TokenScope> {
    this.#scope ??= this.#resolveScope();
    return this.#scope;
  }

  async #resolveScope(): Promise<TokenScope> {
    if (this.#kind === "account") return { kind: "account" };
    const answer = await this.#transport.graphql(
      this.endpoint,
      "ProjectToken",
      { "Project-Access-Token": this.#token },
      ops.ProjectTokenQuery,
      {},
      "always",
    );
    const token = answer.data?.projectToken as { projectId: string; environmentId: string } | undefined;
    if (answer.errors.length === 0 && token) {
      this.#kind = "project";
      this.#tokenAccepted = true;
      return { kind: "project", projectId: token.projectId, environmentId: token.environmentId };
    }
    if (this.#kind === "project") {
      throw new RailwayAuthError(
        "invalid-or-expired",
        "Railway refused the project token (Not Authorized): the token is invalid or expired (wrong, or deleted). " +
          "Create a project token for the target environment (Project Settings → Tokens) and store it as the RAILWAY_TOKEN secret.",
        "ProjectToken",
      );
    }
    // Not a project token: it must then be a valid account/workspace token. Asking now tells an
    // invalid token from a missing project-id (the next question a run would get wrong).
    const probe = await this.#transport.graphql(
      this.endpoint,
      "AccountProbe",
      { Authorization: `Bearer ${this.#token}` },
      ops.AccountProbeQuery,
      {},
      "always",
    );
    if (probe.errors.some((e) => /not authori[sz]ed/i.test(e.message))) {
      throw new RailwayAuthError(
        "invalid-or-expired",
        "Railway refused the token (Not Authorized): the token is invalid or expired. It is neither a valid project token " +
          "nor a valid account/workspace token. Create a new token and store it as the RAILWAY_TOKEN secret.",
        "AccountProbe",
      );
    }
    if (probe.errors.length === 0) this.#tokenAccepted = true;
    this.#kind = "account";
    return { kind: "account" };
  }

  /** Project tokens are scoped to one project and environment: refuse other targets before asking Railway. */
  async #checkScope(
    projectId: string | undefined,
    environmentId: string | undefined,
    operation: string,
  ): Promise<void> {
    const scope = await this.tokenScope();
    if (scope.kind !== "project") return;
    if (projectId !== undefined && scope.projectId !== projectId) {
      throw new RailwayAuthError(
        "wrong-project",
        `The project token belongs to project ${scope.projectId}, not ${projectId} (${operation}). ` +
          "Use a token of the configured project, or fix the project id in the workflow.",
        operation,
      );
    }
    if (environmentId !== undefined && scope.environmentId !== environmentId) {
      throw new RailwayAuthError(
        "wrong-environment",
        `The project token is scoped to environment ${scope.environmentId}, not ${environmentId} (${operation}). ` +
          "Create a project token for the environment being deployed, or use an account/workspace token.",
        operation,
      );
    }
  }

  /** Runs one operation; GraphQL errors become typed errors. */
  async #call(
    operation: string,
    query: string,
    variables: Json,
    options: { replay?: Replay; projectId?: string; environmentId?: string; allowErrors?: boolean } = {},
  ): Promise<GraphQLAnswer> {
    await this.#checkScope(options.projectId, options.environmentId, operation);
    const headers = await this.authHeaders();
    const answer = await this.#transport.graphql(
      this.endpoint,
      operation,
      headers,
      query,
      variables,
      options.replay ?? "always",
    );
    if (answer.errors.length === 0) {
      this.#tokenAccepted = true;
      return answer;
    }
    if (answer.errors.some((e) => /not authori[sz]ed/i.test(e.message))) {
      throw await this.#authError(operation, options.projectId, query.trimStart().startsWith("mutation"));
    }
    if (options.allowErrors) return answer;
    throw new RailwayApiError(
      `Railway rejected ${operation}: ${answer.errors.map((e) => e.message).join("; ")}`,
      {
        operation,
        details: answer.errors.map((e) => e.message),
      },
    );
  }

  async #authError(
    operation: string,
    projectId: string | undefined,
    isMutation: boolean,
  ): Promise<RailwayAuthError> {
    const scope = await this.tokenScope();
    if (!this.#tokenAccepted && scope.kind === "account") {
      // Tell a bad token from a token without access to this project.
      const probe = await this.#transport.graphql(
        this.endpoint,
        "AccountProbe",
        await this.authHeaders(),
        ops.AccountProbeQuery,
        {},
        "always",
      );
      this.#tokenAccepted = probe.errors.length === 0;
      if (!this.#tokenAccepted) {
        return new RailwayAuthError(
          "invalid-or-expired",
          "Railway refused the token (Not Authorized): the token is invalid or expired. It is neither a valid project token " +
            "nor a valid account/workspace token. Create a new token and store it as the RAILWAY_TOKEN secret.",
          operation,
        );
      }
    }
    if (scope.kind === "account" && projectId !== undefined && !isMutation) {
      return new RailwayAuthError(
        "wrong-project",
        `The account/workspace token has no access to project ${projectId} (${operation}). ` +
          "Use a token of the workspace that owns the project, or fix the project id.",
        operation,
      );
    }
    return new RailwayAuthError(
      "insufficient-scope",
      `The token is valid but may not run ${operation} (Not Authorized). ` +
        "Use a token with deploy rights on this project and environment (a project token of the environment, or an account token of a member).",
      operation,
    );
  }

  async project(projectId: string): Promise<ProjectInfo> {
    const { data } = await this.#call("Project", ops.ProjectQuery, { id: projectId }, { projectId });
    const p = data?.project as {
      id: string;
      name: string;
      services: { edges: { node: { id: string; name: string } }[] };
      environments: { edges: { node: { id: string; name: string } }[] };
    };
    return {
      id: p.id,
      name: p.name,
      services: p.services.edges.map((e) => e.node),
      environments: p.environments.edges.map((e) => e.node),
    };
  }

  async serviceInstance(environmentId: string, serviceId: string): Promise<ServiceInstanceInfo> {
    const { data } = await this.#call(
      "ServiceInstance",
      ops.ServiceInstanceQuery,
      { environmentId, serviceId },
      { environmentId },
    );
    const si = data?.serviceInstance as Json & { domains: RawDomains; latestDeployment?: Json | null };
    const settings: Record<string, unknown> = {};
    for (const key of SETTINGS_KEYS) {
      if (key in si) settings[key] = si[key];
    }
    if (typeof si.dockerfilePath === "string" && si.dockerfilePath !== "") settings.builder = "DOCKERFILE";
    return {
      ...(settings as ServiceSettings),
      serviceId: String(si.serviceId),
      environmentId: String(si.environmentId),
      source: (si.source as ServiceInstanceInfo["source"]) ?? null,
      latestDeployment: si.latestDeployment ? toDeployment(si.latestDeployment) : null,
      domains: toDomains(si.domains),
    };
  }

  async environmentState(environmentId: string): Promise<EnvironmentState> {
    type Page = {
      edges: { node: Json & { serviceId: string; domains: RawDomains } }[];
      pageInfo?: { hasNextPage?: boolean; endCursor?: string | null };
    };
    const first = this.#pageSize;
    const { data } = await this.#call(
      "EnvironmentState",
      ops.EnvironmentStateQuery,
      { environmentId, first },
      { environmentId },
    );
    const env = data?.environment as {
      id: string;
      configEtag: string;
      config: EnvironmentConfig | null;
      serviceInstances: Page;
    };
    const nodes = [...env.serviceInstances.edges.map((e) => e.node)];
    let page = env.serviceInstances.pageInfo;
    const seen = new Set<string>();
    while (page?.hasNextPage && page.endCursor && !seen.has(page.endCursor)) {
      seen.add(page.endCursor);
      const next = await this.#call(
        "EnvironmentInstancesPage",
        ops.EnvironmentInstancesPageQuery,
        { environmentId, first, after: page.endCursor },
        { environmentId },
      );
      const instances = (next.data?.environment as { serviceInstances?: Page } | undefined)?.serviceInstances;
      if (!instances) break;
      nodes.push(...instances.edges.map((e) => e.node));
      page = instances.pageInfo;
    }
    const config = (env.config ?? {}) as EnvironmentConfig;
    this.#maskConfigSecrets(config);
    // The config names every user-set variable: variablesForDeployment needs no extra read for them.
    for (const [serviceId, entry] of Object.entries(config.services ?? {}))
      this.noteUserVariables(environmentId, serviceId, Object.keys(entry?.variables ?? {}));
    return {
      id: env.id,
      configEtag: env.configEtag,
      config,
      instances: nodes.map((node) => ({
        serviceId: String(node.serviceId),
        source: (node.source as EnvironmentState["instances"][number]["source"]) ?? null,
        latestDeployment: node.latestDeployment ? toDeployment(node.latestDeployment as Json) : null,
        domains: toDomains(node.domains),
      })),
    };
  }

  /** Values a config read may carry despite the masking (decrypted reads, registry logins) are secrets. */
  #maskConfigSecrets(config: EnvironmentConfig): void {
    const variables = (vars: Record<string, { value?: string | null } | null> | undefined) => {
      for (const [name, v] of Object.entries(vars ?? {})) {
        const value = v?.value;
        if (typeof value === "string" && value !== "" && !this.#publicValues.has(publicKey(name, value)))
          this.secrets.add(value);
      }
    };
    variables(config.sharedVariables);
    for (const entry of Object.values(config.services ?? {})) {
      variables(entry?.variables);
      const credentials = entry?.deploy?.registryCredentials;
      if (credentials?.password) this.secrets.add(credentials.password);
    }
  }

  /** Values a change set writes are secrets unless the repository itself declares them. */
  #maskChangeSetSecrets(changeSet: ChangeSet): void {
    for (const change of changeSet.changes) {
      if (change.kind === "variable.set") {
        // A generated secret is made by Railway: there is no value to mask here.
        if (change.after.type !== "literal") continue;
        const value = change.after.value;
        if (value !== "" && !this.#publicValues.has(publicKey(change.variable, value)))
          this.secrets.add(value);
      } else if (change.kind === "resource.update" && change.field === "deploy") {
        const credentials = change.after.registryCredentials as { password?: unknown } | null | undefined;
        if (typeof credentials?.password === "string") this.secrets.add(credentials.password);
      }
    }
  }

  async previewChangeSet(environmentId: string, changeSet: ChangeSet): Promise<ChangeSetPreview> {
    this.#maskChangeSetSecrets(changeSet);
    const { data } = await this.#call(
      "EnvironmentPreviewChangeSet",
      ops.EnvironmentPreviewChangeSetMutation,
      { environmentId, input: changeSet },
      { environmentId },
    );
    const preview = data?.environmentPreviewChangeSet as {
      changeSet: Partial<ChangeSet> | null;
      diagnostics: unknown;
      effects: unknown;
    };
    return {
      changeSet: { version: 1, changes: (preview.changeSet?.changes ?? []) as ChangeSet["changes"] },
      diagnostics: Array.isArray(preview.diagnostics) ? preview.diagnostics : [],
      effects: Array.isArray(preview.effects) ? preview.effects : [],
    };
  }

  async applyChangeSet(
    environmentId: string,
    changeSet: ChangeSet,
    options: { baseConfigEtag?: string; commitMessage?: string; signal?: AbortSignal } = {},
  ): Promise<ChangeSetApplyResult> {
    this.#maskChangeSetSecrets(changeSet);
    const operation = "EnvironmentApplyChangeSet";
    const { data, errors } = await this.#call(
      operation,
      ops.EnvironmentApplyChangeSetMutation,
      {
        environmentId,
        input: changeSet,
        commitMessage: options.commitMessage ?? "Railyard: apply the settings the railway.toml files declare",
        baseConfigEtag: options.baseConfigEtag ?? null,
        waitForCompletion: false,
      },
      // Sent once: a retried apply after an ambiguous failure could apply twice.
      { environmentId, allowErrors: true, replay: "unsent-only" },
    );
    if (errors.length > 0) {
      const details = errors.map((e) => e.message);
      if (errors.some((e) => e.code === "CONFLICT" || /etag|changed since/i.test(e.message))) {
        throw new RailwayConflictError(
          `Railway refused the change set: the environment changed since it was read (${details.join("; ")})`,
          { operation, details },
        );
      }
      throw new RailwayApiError(`Railway rejected ${operation}: ${details.join("; ")}`, {
        operation,
        details,
      });
    }
    let result = data?.environmentApplyChangeSet as ChangeSetApplyResult;
    let delay = 200;
    const giveUpAt = Date.now() + 5 * 60_000;
    while (result.status === "applying") {
      if (options.signal?.aborted || Date.now() > giveUpAt) {
        throw new RailwayApiError(
          `Railway is still applying change set ${result.id}; it was not followed to the end`,
          { operation: "EnvironmentChangeSetApply" },
        );
      }
      await sleep(delay, options.signal);
      delay = Math.min(2_000, delay * 2);
      const polled = await this.#call(
        "EnvironmentChangeSetApply",
        ops.EnvironmentChangeSetApplyQuery,
        { environmentId, id: result.id },
        { environmentId },
      );
      result = polled.data?.environmentChangeSetApply as ChangeSetApplyResult;
    }
    return result;
  }

  async updateServiceInstance(
    serviceId: string,
    environmentId: string,
    settings: ServiceSettings,
  ): Promise<void> {
    await this.#call(
      "ServiceInstanceUpdate",
      ops.ServiceInstanceUpdateMutation,
      { serviceId, environmentId, input: toUpdateInput(settings) },
      { environmentId },
    );
  }

  async variablesForDeployment(
    projectId: string,
    environmentId: string,
    serviceId: string,
  ): Promise<Record<string, string>> {
    const { data } = await this.#call(
      "VariablesForServiceDeployment",
      ops.VariablesForServiceDeploymentQuery,
      { projectId, environmentId, serviceId },
      { projectId, environmentId },
    );
    const rendered = (data?.variablesForServiceDeployment ?? {}) as Record<string, unknown>;
    // Railway's own metadata is exempt from masking only when Railway set it: a variable of the
    // same name that the user set (RAILWAY_SERVICE_API_URL = a secret) is the user's, and secret.
    let userNames = this.#userVariables.get(`${environmentId}/${serviceId}`);
    if (userNames === undefined && Object.keys(rendered).some((name) => PUBLIC_RAILWAY_VARIABLE.test(name))) {
      const own = await this.#call(
        "Variables",
        ops.VariablesQuery,
        { projectId, environmentId, serviceId, unrendered: true },
        { projectId, environmentId },
      );
      userNames = new Set(Object.keys((own.data?.variables ?? {}) as Record<string, unknown>));
      this.#userVariables.set(`${environmentId}/${serviceId}`, userNames);
    }
    return this.#secretMap(rendered, userNames ?? new Set());
  }

  /**
   * One aliased query per SERVICE_BATCH services: `$s0…` carry the chunk's service ids beside
   * `shared` (whose projectId and environmentId the token's scope is checked against); `read`
   * takes each service's answer out of the chunk's data by its index.
   */
  async #perServiceBatch<T>(
    serviceIds: string[],
    operation: string,
    shared: { projectId?: string; environmentId: string; first?: number },
    query: (chunk: string[]) => string,
    read: (data: Record<string, unknown> | null | undefined, index: number, serviceId: string) => T,
  ): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    const unique = [...new Set(serviceIds)];
    for (let start = 0; start < unique.length; start += ops.SERVICE_BATCH) {
      const chunk = unique.slice(start, start + ops.SERVICE_BATCH);
      const variables: Json = { ...shared };
      chunk.forEach((id, i) => {
        variables[`s${i}`] = id;
      });
      const { projectId, environmentId } = shared;
      const { data } = await this.#call(operation, query(chunk), variables, { projectId, environmentId });
      chunk.forEach((serviceId, i) => {
        out.set(serviceId, read(data, i, serviceId));
      });
    }
    return out;
  }

  /**
   * variablesForDeployment of many services: one request per 100 services, each service's
   * rendered variables and, in the same request, the names the user set (for the metadata rule).
   */
  async variablesForDeployments(
    projectId: string,
    environmentId: string,
    serviceIds: string[],
  ): Promise<Map<string, Record<string, string>>> {
    // Unrendered (raw) values are read only where the user's variable names are not known yet.
    const known = (serviceId: string | undefined) => this.#userVariables.has(`${environmentId}/${serviceId}`);
    return this.#perServiceBatch(
      serviceIds,
      "VariablesForServiceDeployments",
      { projectId, environmentId },
      (chunk) => ops.variablesForDeploymentsQuery(chunk.length, (i) => !known(chunk[i])),
      (data, i, serviceId) => {
        const key = `${environmentId}/${serviceId}`;
        let userNames = this.#userVariables.get(key);
        if (userNames === undefined) {
          userNames = new Set(Object.keys((data?.[`u${i}`] ?? {}) as Record<string, unknown>));
          this.#userVariables.set(key, userNames);
        }
        return this.#secretMap(data?.[`r${i}`], userNames);
      },
    );
  }

  /**
   * The names of the variables a user set on a service (from a read the caller already made, such
   * as the environment's config): saves the extra query variablesForDeployment otherwise makes to
   * tell Railway's metadata from a user's variable of the same name.
   */
  noteUserVariables(environmentId: string, serviceId: string, names: Iterable<string>): void {
    this.#userVariables.set(`${environmentId}/${serviceId}`, new Set(names));
  }

  /** Service variables (or shared ones without serviceId); unrendered shows `${{ ... }}` references as written. */
  async variables(
    projectId: string,
    environmentId: string,
    serviceId?: string,
    unrendered = false,
  ): Promise<Record<string, string>> {
    const { data } = await this.#call(
      "Variables",
      ops.VariablesQuery,
      { projectId, environmentId, serviceId: serviceId ?? null, unrendered },
      { projectId, environmentId },
    );
    // Every variable a user reads this way is the user's own: none is exempt from masking.
    return this.#secretMap(data?.variables, undefined);
  }

  /**
   * Variables whose values the repository itself declares (a config's fixed `set` values, such
   * as CONTAINER_ROLE = "api"): not secret, so not masked, as long as the value is the declared one.
   */
  treatAsPublic(variables: readonly (readonly [name: string, value: string])[]): void {
    for (const [name, value] of variables) this.#publicValues.add(publicKey(name, value));
  }

  /** `userNames`: the variables the user set; undefined when every variable is the user's. */
  #secretMap(value: unknown, userNames: ReadonlySet<string> | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
      const s = v === null || v === undefined ? "" : String(v);
      const railwaySet = userNames !== undefined && !userNames.has(k) && PUBLIC_RAILWAY_VARIABLE.test(k);
      if (!railwaySet && !this.#publicValues.has(publicKey(k, s))) this.secrets.add(s);
      out[k] = s;
    }
    return out;
  }

  /** Upserts service variables without triggering deploys (the pipeline deploys explicitly). */
  async upsertVariables(
    projectId: string,
    environmentId: string,
    serviceId: string,
    variables: Record<string, string>,
  ): Promise<void> {
    for (const [name, value] of Object.entries(variables))
      if (!this.#publicValues.has(publicKey(name, value))) this.secrets.add(value);
    await this.#call(
      "VariableCollectionUpsert",
      ops.VariableCollectionUpsertMutation,
      { input: { projectId, environmentId, serviceId, variables, skipDeploys: true } },
      { projectId, environmentId },
    );
  }

  async deploymentTriggers(
    projectId: string,
    environmentId: string,
    serviceId: string,
  ): Promise<DeploymentTriggerInfo[]> {
    const { data } = await this.#call(
      "DeploymentTriggers",
      ops.DeploymentTriggersQuery,
      { projectId, environmentId, serviceId },
      { projectId, environmentId },
    );
    const conn = data?.deploymentTriggers as { edges: { node: DeploymentTriggerInfo }[] };
    return conn.edges.map((e) => ({
      id: e.node.id,
      branch: e.node.branch,
      repository: e.node.repository,
      checkSuites: e.node.checkSuites,
    }));
  }

  /** deploymentTriggers of many services: one request per 100 services (aliased fields). */
  async deploymentTriggersMany(
    projectId: string,
    environmentId: string,
    serviceIds: string[],
  ): Promise<Map<string, DeploymentTriggerInfo[]>> {
    return this.#perServiceBatch(
      serviceIds,
      "DeploymentTriggersMany",
      { projectId, environmentId },
      (chunk) => ops.deploymentTriggersManyQuery(chunk.length),
      (data, i) => {
        const conn = data?.[`t${i}`] as { edges: { node: DeploymentTriggerInfo }[] } | undefined;
        return (conn?.edges ?? []).map((e) => ({
          id: e.node.id,
          branch: e.node.branch,
          repository: e.node.repository,
          checkSuites: e.node.checkSuites,
        }));
      },
    );
  }

  /**
   * Deploys a commit. The mutation is sent once: when its answer is lost (timeout, dropped
   * connection, 5xx), the deployment it may have created is looked for instead
   * (docs/decisions/0120-ambiguous-deploy-requests.md).
   */
  async deployCommit(
    environmentId: string,
    serviceId: string,
    commitSha: string,
    options: DeployRequestOptions = {},
  ): Promise<string> {
    // What exists before the request, so that a lost answer is never matched to an older deployment.
    const existing = await this.#existingDeployments(environmentId, serviceId, options);
    const startedAt = Date.now();
    try {
      const { data } = await this.#call(
        "ServiceInstanceDeployV2",
        ops.ServiceInstanceDeployV2Mutation,
        { environmentId, serviceId, commitSha },
        { environmentId, replay: "unsent-only" },
      );
      return String(data?.serviceInstanceDeployV2);
    } catch (error) {
      if (!(error instanceof RailwayNetworkError && error.ambiguous)) throw error;
      const what = `The deploy request for ${commitSha.slice(0, 7)}`;
      return this.#reconcile(
        error,
        what,
        { environmentId, serviceId },
        options.signal,
        (d) =>
          !existing.has(d.id) &&
          d.meta?.commitHash === commitSha &&
          createdSince(d, startedAt - this.#skewMs),
      );
    }
  }

  /** The deployment ids the caller knows of (the pipeline's live read), or a read of this service's. */
  async #existingDeployments(
    environmentId: string,
    serviceId: string,
    options: DeployRequestOptions,
  ): Promise<ReadonlySet<string>> {
    if (options.existingDeploymentIds) return options.existingDeploymentIds;
    return new Set((await this.#recentDeployments({ environmentId, serviceId }, 20)).map((d) => d.id));
  }

  /**
   * Recent deployments of many services, newest first: one request per 100 services (aliased
   * fields), keyed by service id. What exists before a run's deploy requests.
   */
  async recentDeploymentsMany(
    projectId: string,
    environmentId: string,
    serviceIds: string[],
    first = 20,
  ): Promise<Map<string, DeploymentInfo[]>> {
    return this.#perServiceBatch(
      serviceIds,
      "RecentDeploymentsMany",
      { projectId, environmentId, first },
      (chunk) => ops.recentDeploymentsManyQuery(chunk.length),
      (data, i) => deploymentsOf(data?.[`l${i}`]),
    );
  }

  /**
   * After an ambiguous deploy request: looks for the deployment it created, for as long as
   * Railway may take to record it; never sends the request again.
   */
  async #reconcile(
    error: RailwayNetworkError,
    what: string,
    where: { environmentId: string; serviceId: string },
    signal: AbortSignal | undefined,
    isOurs: (d: DeploymentInfo) => boolean,
  ): Promise<string> {
    const deadline = Date.now() + this.#reconcileMs;
    this.#log(
      `${what} got no clear answer (${error.message.split(". ")[0]}); looking for the deployment it may have created`,
    );
    let recent: DeploymentInfo[] = [];
    for (let attempt = 0; ; attempt++) {
      try {
        recent = await this.#recentDeployments(where, 10);
        // Oldest first: should two match, the first one is the one this request created.
        const created = recent.filter(isOurs).at(-1);
        if (created) {
          this.#log(`${what} created deployment ${created.id}; not sending it again.`);
          return created.id;
        }
      } catch (lookupError) {
        if (lookupError instanceof RailwayAuthError) throw lookupError;
        // Keep looking until the deadline: the API may be failing for a while.
      }
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) break;
      await sleep(Math.min(left, Math.min(this.#reconcileMs / 10, 500 * 2 ** attempt, 5_000)), signal);
    }
    const seconds = Math.round(this.#reconcileMs / 1000);
    const listed = recent
      .slice(0, 3)
      .map((d) => `${d.id} (${d.status}${d.createdAt ? `, created ${d.createdAt}` : ""})`)
      .join(", ");
    throw new RailwayDeployUnknownError(
      `${what} got no clear answer from Railway (${error.message.split(". ")[0]}) and no deployment of it appeared ` +
        `${signal?.aborted ? "before the run was interrupted" : `within ${seconds} s`}. It may still have been deployed: ` +
        `check the service's deployments in Railway (${listed ? `most recent: ${listed}` : "none listed yet"}). ` +
        "It was not sent again, so as not to deploy twice.",
      error.operation ?? "deploy",
      recent
        .slice(0, 3)
        .map((d) => ({ id: d.id, status: d.status, ...(d.createdAt ? { createdAt: d.createdAt } : {}) })),
    );
  }

  async redeployService(environmentId: string, serviceId: string): Promise<void> {
    await this.#call(
      "ServiceInstanceRedeploy",
      ops.ServiceInstanceRedeployMutation,
      { environmentId, serviceId },
      { environmentId, replay: "unsent-only" },
    );
  }

  async redeployDeployment(deploymentId: string): Promise<DeploymentInfo> {
    const { data } = await this.#call(
      "DeploymentRedeploy",
      ops.DeploymentRedeployMutation,
      { id: deploymentId },
      { replay: "unsent-only" },
    );
    return toDeployment(data?.deploymentRedeploy as Json);
  }

  async uploadSource(
    projectId: string,
    environmentId: string,
    serviceId: string,
    tarball: Uint8Array,
    options: DeployRequestOptions = {},
  ): Promise<string> {
    const operation = "source upload";
    await this.#checkScope(projectId, environmentId, operation);
    // An upload carries no commit to recognise its deployment by: note what exists before it.
    const existing = await this.#existingDeployments(environmentId, serviceId, options);
    const startedAt = Date.now();
    const url = new URL(
      `/project/${encodeURIComponent(projectId)}/environment/${encodeURIComponent(environmentId)}/up`,
      this.endpoint,
    );
    url.searchParams.set("serviceId", serviceId);
    let answer: { status: number; text: string };
    try {
      answer = await this.#transport.post(
        url.toString(),
        operation,
        { "content-type": "application/gzip", ...(await this.authHeaders()) },
        tarball,
        "unsent-only",
      );
    } catch (error) {
      if (!(error instanceof RailwayNetworkError && error.ambiguous)) throw error;
      return this.#reconcile(
        error,
        "The source upload",
        { environmentId, serviceId },
        options.signal,
        (d) => !existing.has(d.id) && createdSince(d, startedAt - this.#skewMs),
      );
    }
    const { status, text } = answer;
    let body: { deploymentId?: string; message?: string } = {};
    try {
      body = JSON.parse(text);
    } catch {
      // handled below
    }
    if (status === 200 && body.deploymentId) return body.deploymentId;
    if (status === 401 || status === 403) throw await this.#authError(operation, projectId, true);
    if (status === 413) {
      throw new RailwayApiError(
        "The source tarball is too large for Railway's upload. Exclude build output and dependencies.",
        {
          operation,
          httpStatus: status,
        },
      );
    }
    throw new RailwayApiError(
      `Railway refused the source upload (HTTP ${status})${body.message ? `: ${this.secrets.redact(body.message)}` : ""}.`,
      { operation, httpStatus: status },
    );
  }

  async deployment(id: string): Promise<DeploymentInfo> {
    const { data, errors } = await this.#call(
      "Deployment",
      ops.DeploymentQuery,
      { id },
      { allowErrors: true },
    );
    if (errors.length > 0 || !data?.deployment) {
      throw new RailwayNotFoundError(
        `Railway has no deployment ${id} visible to this token: ${errors.map((e) => e.message).join("; ")}`,
        "Deployment",
      );
    }
    return toDeployment(data.deployment as Json);
  }

  async deploymentStatuses(ids: string[]): Promise<Map<string, DeploymentInfo>> {
    const out = new Map<string, DeploymentInfo>();
    const unique = [...new Set(ids)];
    if (unique.length === 0) return out;
    const variables: Json = {};
    unique.forEach((id, i) => {
      variables[ops.batchAlias(i)] = id;
    });
    const { data, errors } = await this.#call(
      "DeploymentStatuses",
      ops.deploymentStatusesQuery(unique.length),
      variables,
      { allowErrors: true },
    );
    if (errors.length > 0) {
      const missing = errors
        .map((e) => (typeof e.path?.[0] === "string" ? variables[e.path[0]] : undefined))
        .filter((id): id is string => typeof id === "string");
      throw new RailwayNotFoundError(
        `Railway could not read deployment${missing.length === 1 ? "" : "s"} ${missing.join(", ") || unique.join(", ")}: ${errors.map((e) => e.message).join("; ")}`,
        "DeploymentStatuses",
        missing.length > 0 ? missing : unique,
      );
    }
    unique.forEach((id, i) => {
      const d = data?.[ops.batchAlias(i)] as Json | undefined;
      if (d) out.set(id, toDeployment(d));
    });
    return out;
  }

  async deployments(
    projectId: string,
    environmentId: string,
    serviceId: string,
    first = 10,
  ): Promise<DeploymentInfo[]> {
    await this.#checkScope(projectId, environmentId, "Deployments");
    return this.#recentDeployments({ projectId, environmentId, serviceId }, first);
  }

  async #recentDeployments(input: Json, first: number): Promise<DeploymentInfo[]> {
    const { data } = await this.#call("Deployments", ops.DeploymentsQuery, { input, first });
    return deploymentsOf(data?.deployments);
  }

  async deploymentEvents(id: string): Promise<DeploymentEvent[]> {
    const { data } = await this.#call("DeploymentEvents", ops.DeploymentEventsQuery, { id, first: 100 });
    const conn = data?.deploymentEvents as {
      edges: {
        node: {
          step: string;
          createdAt: string;
          completedAt?: string | null;
          payload?: { error?: string | null; detail?: string | null; reason?: string | null } | null;
        };
      }[];
    };
    return conn.edges.map(({ node }) => {
      const error = node.payload?.error ?? undefined;
      const message = error ?? node.payload?.detail ?? node.payload?.reason ?? undefined;
      return {
        step: node.step,
        status: error ? "FAILED" : node.completedAt ? "SUCCEEDED" : "STARTED",
        ...(message ? { message: this.secrets.redactLines(message.split(/\r?\n/)).join(" ") } : {}),
        createdAt: node.createdAt,
      };
    });
  }

  async instanceExecutions(
    environmentId: string,
    serviceId: string,
    first = 50,
  ): Promise<InstanceExecution[]> {
    const { data } = await this.#call(
      "DeploymentInstanceExecutions",
      ops.DeploymentInstanceExecutionsQuery,
      { input: { environmentId, serviceId }, first },
      { environmentId },
    );
    return executionsOf(data?.deploymentInstanceExecutions);
  }

  /** instanceExecutions of many services: one request per 100 services (aliased fields), keyed by service id. */
  async instanceExecutionsMany(
    environmentId: string,
    serviceIds: string[],
    first = 50,
  ): Promise<Map<string, InstanceExecution[]>> {
    return this.#perServiceBatch(
      serviceIds,
      "DeploymentInstanceExecutionsMany",
      { environmentId, first },
      (chunk) => ops.instanceExecutionsManyQuery(chunk.length),
      (data, i) => executionsOf(data?.[`e${i}`]),
    );
  }

  async buildLogs(deploymentId: string, limit = 500): Promise<LogLine[]> {
    const { data } = await this.#call("BuildLogs", ops.BuildLogsQuery, { deploymentId, limit });
    return this.#logLines(data?.buildLogs);
  }

  async deploymentLogs(deploymentId: string, limit = 500): Promise<LogLine[]> {
    const { data } = await this.#call("DeploymentLogs", ops.DeploymentLogsQuery, { deploymentId, limit });
    return this.#logLines(data?.deploymentLogs);
  }

  /** A log tail: secrets redacted in every form, also split across lines; lines holding a value too short to mask withheld. */
  #logLines(value: unknown): LogLine[] {
    const lines = (value ?? []) as LogLine[];
    const messages = this.secrets.redactLines(lines.map((l) => String(l.message ?? "")));
    if (messages.length === lines.length) {
      return lines.map((l, i) => ({
        message: messages[i] as string,
        severity: l.severity ?? null,
        timestamp: l.timestamp,
      }));
    }
    // Some lines were withheld: the notices carry no timestamp of their own.
    const last = lines.at(-1);
    return messages.map((message) => ({ message, severity: null, timestamp: last?.timestamp ?? "" }));
  }

  /** Railway answers Boolean: the new deployment shows up in deployments(). Never repeated blindly. */
  async rollback(deploymentId: string): Promise<void> {
    await this.#call(
      "DeploymentRollback",
      ops.DeploymentRollbackMutation,
      { id: deploymentId },
      { replay: "unsent-only" },
    );
  }

  async cancel(deploymentId: string): Promise<void> {
    await this.#call("DeploymentCancel", ops.DeploymentCancelMutation, { id: deploymentId });
  }

  async domains(
    projectId: string,
    environmentId: string,
    serviceId: string,
  ): Promise<ServiceInstanceInfo["domains"]> {
    const { data } = await this.#call(
      "Domains",
      ops.DomainsQuery,
      { projectId, environmentId, serviceId },
      { projectId, environmentId },
    );
    return toDomains(data?.domains as RawDomains);
  }

  /**
   * Follows deployments (see RailwayApi). Concurrent calls share one WebSocket and one polling
   * loop, so a run costs one request per poll however many deployments it follows.
   */
  watchDeployments(
    ids: string[],
    options: {
      signal?: AbortSignal;
      onChange?: (d: DeploymentInfo) => void;
      isDone?: (d: DeploymentInfo) => boolean;
    } = {},
  ): Promise<Map<string, DeploymentInfo>> {
    return this.#watcher.watch(ids, {
      ...options,
      isDone: options.isDone ?? ((d) => TERMINAL_STATUSES.has(d.status)),
    });
  }
}

function createdSince(d: DeploymentInfo, since: number): boolean {
  return d.createdAt !== undefined && Date.parse(d.createdAt) >= since;
}

interface RawDomains {
  serviceDomains: { domain: string }[];
  customDomains: {
    domain: string;
    status: {
      verified: boolean;
      certificateStatus?: string | null;
      dnsRecords?: { recordType: string; fqdn: string; requiredValue: string; status: string }[];
    };
  }[];
}

function toDomains(d: RawDomains): ServiceInstanceInfo["domains"] {
  return {
    serviceDomains: d.serviceDomains.map((s) => ({ domain: s.domain })),
    customDomains: d.customDomains.map((c) => ({
      domain: c.domain,
      verified: c.status.verified,
      certificateStatus: c.status.certificateStatus ?? null,
      ...(c.status.dnsRecords
        ? {
            dnsRecords: c.status.dnsRecords.map((r) => ({
              type: r.recordType.replace(/^DNS_RECORD_TYPE_/, ""),
              fqdn: r.fqdn,
              requiredValue: r.requiredValue,
              status: r.status,
            })),
          }
        : {}),
    })),
  };
}

const SETTINGS_KEYS = [
  "builder",
  "buildCommand",
  "dockerfilePath",
  "watchPatterns",
  "rootDirectory",
  "railwayConfigFile",
  "nixpacksPlan",
  "startCommand",
  "preDeployCommand",
  "numReplicas",
  "region",
  "healthcheckPath",
  "healthcheckTimeout",
  "restartPolicyType",
  "restartPolicyMaxRetries",
  "cronSchedule",
  "sleepApplication",
  "overlapSeconds",
  "drainingSeconds",
  "ipv6EgressEnabled",
] as const;

/** ServiceSettings → ServiceInstanceUpdateInput. Railway's Builder enum has no DOCKERFILE: a Dockerfile path selects it. */
export function toUpdateInput(settings: ServiceSettings): Json {
  const input: Json = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value !== undefined) input[key] = value;
  }
  if (settings.builder === "DOCKERFILE") {
    delete input.builder;
    input.dockerfilePath = settings.dockerfilePath ?? "Dockerfile";
  }
  return input;
}

/** A deployments connection as deployments, newest first. */
function deploymentsOf(connection: unknown): DeploymentInfo[] {
  const conn = connection as { edges: { node: Json }[] } | undefined;
  return (conn?.edges ?? [])
    .map((e) => toDeployment(e.node))
    .sort((a, b) => Date.parse(b.createdAt ?? "0") - Date.parse(a.createdAt ?? "0"));
}

/** A deploymentInstanceExecutions connection as runs, newest first. */
function executionsOf(connection: unknown): InstanceExecution[] {
  const conn = connection as { edges: { node: InstanceExecution & { updatedAt?: string } }[] } | undefined;
  return (conn?.edges ?? [])
    .map(({ node }) => ({
      id: node.id,
      deploymentId: node.deploymentId,
      status: node.status,
      createdAt: node.createdAt,
      completedAt: node.completedAt ?? null,
    }))
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}
