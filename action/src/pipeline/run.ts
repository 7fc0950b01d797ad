// The pipeline core, a plan/apply tool: desired state (files) → live state (Railway) → change
// set (pure diff) → apply (one place that writes) → deploy → wait → smoke → report. Takes
// plain options and a Railway API, returns a plain result; it never prints (the front doors
// render the result and the progress events). docs/decisions/0105-environment-change-sets.md
import { setMaxListeners } from "node:events";
import type { LoadedConfig } from "../config/index.ts";
import { currentBranch, resolveCommit } from "../git/git.ts";
import { differingTreeWarning, filesDifferingFrom } from "../git/worktree.ts";
import { RailwayAuthError, RailwayError } from "../railway/errors.ts";
import type { LiveInstance, RailwayApi, ServiceInstanceInfo } from "../railway/types.ts";
import { type ApplyOutcome, applyChanges, restoreSettings } from "./apply.ts";
import { checkBudget } from "./budget.ts";
import { type LiveService, planChanges } from "./changes.ts";
import type { EnvironmentPlan, ServiceChanges } from "./changeset.ts";
import { type DeployJob, interruptedReason, outcomeMessage, runDeployments } from "./deploy.ts";
import { type DesiredService, type DesiredState, desiredState } from "./desired.ts";
import { linkByMapping, linkByRailway } from "./link.ts";
import { instanceOf, type LiveState, readLiveState } from "./live.ts";
import { planEnvironment } from "./plan.ts";
import { provision } from "./provision.ts";
import { withRunReads } from "./reads.ts";
import { type RollbackTarget, requestRollbacks, rollBack } from "./rollback.ts";
import {
  GENERIC_SMOKE_NOTE,
  genericTargets,
  runSmokeTests,
  type SmokeTargets,
  urlForDomain,
} from "./smoke.ts";
import { sourceTarball } from "./tarball.ts";
import { dependencyOrder, resolveTarget, type Target } from "./target.ts";
import { checkTriggers } from "./triggers.ts";
import {
  type DeploymentRecord,
  PipelineError,
  type PipelineEvent,
  type PipelineOptions,
  type PipelineResult,
} from "./types.ts";
import { requireValid, validateConfig } from "./validate.ts";
import { checkRequiredVariables, requireVariables } from "./variables.ts";

export interface PipelineDeps {
  /** Required for every mode but validate. */
  api?: RailwayApi;
  emit?: (event: PipelineEvent) => void;
}

type Emit = (event: PipelineEvent) => void;

/** Everything the stages after planning need about the run. */
interface Run {
  options: PipelineOptions;
  api: RailwayApi;
  result: PipelineResult;
  emit: Emit;
  commitSha: string;
  target: Target;
  desired: DesiredState;
  live: LiveState;
  plan: EnvironmentPlan;
  /** Desired services in dependency order. */
  ordered: DesiredService[];
  /** The services this run deploys, in dependency order. */
  selected: DesiredService[];
  waitsForCi: Set<string>;
}

export function serviceUrl(
  instance: Pick<ServiceInstanceInfo, "domains">,
  notes?: string[],
  service?: string,
): string | undefined {
  const custom = instance.domains.customDomains;
  const ready = custom.find((domain) => domain.verified);
  for (const domain of custom) {
    if (!domain.verified && notes) {
      notes.push(
        `${service}: custom domain ${domain.domain} is not ready (DNS not verified${domain.certificateStatus ? `, certificate ${domain.certificateStatus}` : ""}); using the Railway domain`,
      );
    }
  }
  if (ready) return urlForDomain(ready.domain);
  const generated = instance.domains.serviceDomains[0];
  return generated ? urlForDomain(generated.domain) : undefined;
}

export function emptyResult(options: PipelineOptions): PipelineResult {
  return {
    mode: options.mode,
    ok: false,
    environment: options.environment,
    findings: [],
    notes: [],
    plan: [],
    variables: [],
    settings: [],
    deployments: [],
    smoke: [],
    rollbacks: [],
    urls: { services: {} },
  };
}

export async function runPipeline(options: PipelineOptions, deps: PipelineDeps): Promise<PipelineResult> {
  const result = emptyResult(options);
  const emit = deps.emit ?? (() => undefined);
  try {
    await stages(options, deps.api, result, emit);
  } catch (error) {
    result.ok = false;
    if (error instanceof PipelineError || error instanceof RailwayError) {
      result.reason = error.message;
      // A token Railway refuses is bad input, as a malformed flag is: exit 2 (README, exit codes).
      if (error instanceof RailwayAuthError) result.exitCode = 2;
      if (error instanceof PipelineError && error.usage) result.exitCode = 2;
    } else {
      result.reason = `unexpected error: ${(error as Error)?.message ?? String(error)}`;
    }
  }
  if (deps.api) {
    const rate = deps.api.rateLimit;
    result.budget = {
      requests: deps.api.requestCount,
      remaining: rate.remaining,
      limit: rate.limit,
      resetAt: rate.resetAt,
    };
  }
  return result;
}

async function stages(
  options: PipelineOptions,
  maybeApi: RailwayApi | undefined,
  result: PipelineResult,
  emit: Emit,
): Promise<void> {
  emit({ kind: "stage", stage: "validate" });
  const files = await validate(options, result);
  if (options.mode === "validate") return done(result);
  const api = withRunReads(requireApi(maybeApi, options));
  const commitSha = await resolveCommit(options.repoDir, options.commitSha ?? "HEAD").catch(() => {
    const what = options.commitSha ? `commit ${options.commitSha}` : "HEAD";
    throw new PipelineError(
      `${what} is not a commit in the repository at ${options.repoDir}${options.commitSha ? " (fetch it first, e.g. actions/checkout with fetch-depth: 0, or fix the commit)" : ""}`,
      { usage: true },
    );
  });
  result.commitSha = commitSha;
  const differs = differingTreeWarning(commitSha, await filesDifferingFrom(options.repoDir, commitSha));
  if (differs) {
    result.notes.push(differs);
    emit({ kind: "warning", message: differs });
  }

  emit({ kind: "stage", stage: "provision" });
  if (!(await provisionStage(api, files, options, result))) return done(result);

  emit({ kind: "stage", stage: "target" });
  const { target, config } = await targetStage(api, files, options, result);
  const desired = desiredState(config, target);

  emit({ kind: "stage", stage: "plan" });
  const live = await readLiveState(api, target.projectId, desired.environmentId, serviceIds(desired));
  const run = await planStage({ options, api, result, emit, commitSha, target, desired, live }, config);

  emit({ kind: "stage", stage: "variables" });
  await variablesStage(run);
  if (options.mode === "plan") return done(result);
  if (run.selected.length === 0) return nothingToDeploy(run);
  if (options.signal?.aborted) throw new PipelineError("interrupted before anything was changed or deployed");
  result.notes.push(
    ...checkBudget(api, { deploying: run.selected.map((s) => s.config.name), plan: run.plan, ...options })
      .notes,
  );

  emit({ kind: "stage", stage: "settings" });
  const applied = await applyStage(run);

  emit({ kind: "stage", stage: "deploy" });
  await deployStage(run);
  const failure = await verifyStage(run, applied);
  if (failure) await rollbackStage(run, applied, failure);
  done(result);
}

function done(result: PipelineResult): void {
  result.ok = true;
}

/** Validate: every finding is reported; errors stop the run. Plain files get their mapped service. */
async function validate(options: PipelineOptions, result: PipelineResult): Promise<LoadedConfig> {
  const config = await validateConfig(options);
  result.findings = config.findings;
  requireValid(config, options.repoDir);
  return { ...config, services: linkByMapping(config, options.serviceConfigs).services };
}

/**
 * Provision: create what the files declare and Railway lacks (services, databases, volumes,
 * generated secrets, domains); list what Railway has and no file declares (deleted only with
 * deleteUndeclared). A plan stops here when services are still to be created: their settings
 * and deployments are planned once they exist.
 */
async function provisionStage(
  api: RailwayApi,
  files: LoadedConfig,
  options: PipelineOptions,
  result: PipelineResult,
): Promise<boolean> {
  // A project token names its environment: its state is read while the project is.
  const token = await api.tokenScope();
  if (token.kind === "project" && token.environmentId)
    api.environmentState(token.environmentId).catch(() => undefined);
  const scope = await resolveTarget(api, [], options);
  const outcome = await provision(
    api,
    scope.projectId,
    scope.environment.id,
    { services: files.services, databases: files.databases },
    {
      apply: options.mode !== "plan",
      deleteUndeclared: options.deleteUndeclared ?? false,
      signal: options.signal,
    },
  );
  result.resources = outcome.plan.rows;
  result.notes.push(...outcome.notes);
  const missing = outcome.plan.rows.filter((row) => row.action === "create" && row.type === "service");
  if (options.mode === "plan" && missing.length > 0) {
    result.projectId = scope.projectId;
    result.notes.push(
      `${missing.map((row) => row.name).join(", ")} ${missing.length === 1 ? "does" : "do"} not exist in Railway yet: deploy creates ${missing.length === 1 ? "it" : "them"} first, then applies the settings and deploys`,
    );
    return false;
  }
  return true;
}

function requireApi(api: RailwayApi | undefined, options: PipelineOptions): RailwayApi {
  if (!api) throw new PipelineError(`a Railway token is required for mode ${options.mode}`);
  return api;
}

/** Target: the project, environment and services; the config checked again against the environments that exist. */
async function targetStage(
  api: RailwayApi,
  files: LoadedConfig,
  options: PipelineOptions,
  result: PipelineResult,
): Promise<{ target: Target; config: LoadedConfig }> {
  const target = await resolveTarget(
    api,
    files.services,
    options,
    async (project) => {
      const linked = await linkByRailway(api, files, options.serviceConfigs, project);
      result.notes.push(...linked.notes);
      return linked.services;
    },
    files.databases.map((database) => database.name),
  );
  result.projectId = target.projectId;
  result.notes.push(...target.notes);
  const services = target.services.map((service) => service.config);
  const known = new Set(services.map((service) => service.name));
  if (Array.isArray(options.services)) {
    const unknown = options.services.filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new PipelineError(
        `services: ${unknown.join(", ")} ${unknown.length > 1 ? "are" : "is"} not declared in any railway.toml (declared: ${[...known].join(", ")})`,
      );
    }
  }
  // Checked again: environment names against the project's, a plain file's Dockerfile from its
  // service's live root directory.
  const plain = services.filter((service) => service.plainFile !== undefined);
  const reloaded = await validateConfig(
    options,
    target.environments.map((env) => env.name),
    new Map(
      plain.flatMap((service) =>
        service.plainFile?.liveRootDirectory === undefined
          ? []
          : [[service.file, service.plainFile.liveRootDirectory] as const],
      ),
    ),
  );
  const config = { ...reloaded, services: [...reloaded.services, ...plain] };
  result.findings = config.findings;
  requireValid(config, options.repoDir);
  // Fixed variables live in the repository, not in secrets: they stay readable in the log.
  api.treatAsPublic?.(config.services.flatMap((service) => Object.entries(service.fixedVariables)));
  return { target, config };
}

function serviceIds(desired: DesiredState): string[] {
  return desired.services.map((service) => service.serviceId);
}

/** Plan: the settings change set (confirmed by Railway's preview), then which services deploy and why. */
async function planStage(
  base: Omit<Run, "plan" | "ordered" | "selected" | "waitsForCi">,
  config: LoadedConfig,
): Promise<Run> {
  const { api, options, result, desired, live, target, commitSha } = base;
  const plan = await planEnvironment(api, desired.environmentId, desired.services, live.environment);
  result.notes.push(...plan.diagnostics);
  const byName = new Map(desired.services.map((service) => [service.config.name, service]));
  const ordered = dependencyOrder(config.services).map((name) => byName.get(name) as DesiredService);
  const changesOf = new Map(plan.services.map((s) => [s.service, s]));
  result.settings = ordered.map((service) => settingsRow(changesOf.get(service.config.name), service));
  for (const service of plan.services) result.notes.push(...service.notes);
  for (const service of ordered) {
    for (const field of service.unsupported) {
      result.notes.push(
        `${service.config.name}: ${field} has no setting in Railway's API (environment config), so it is not applied`,
      );
    }
  }

  const liveServices: LiveService[] = ordered.map((service) => ({
    config: service.config,
    serviceId: service.serviceId,
    live: live.serving.get(service.serviceId),
    wanted: service.settings,
    settingsDiffer: (changesOf.get(service.config.name)?.rows.length ?? 0) > 0,
    differs: differs(changesOf.get(service.config.name)),
    source: sourceOf(instanceOf(live, service.serviceId)),
  }));
  const explicit = options.mode === "redeploy" ? (options.services ?? "all") : undefined;
  result.plan = await planChanges(options.repoDir, commitSha, liveServices, explicit, result.notes);
  if (options.mode !== "redeploy" && Array.isArray(options.services)) {
    for (const entry of result.plan) {
      if (entry.deploy && !options.services.includes(entry.service)) {
        entry.deploy = false;
        entry.reason = `${entry.reason}; left out: not in the services input`;
      }
    }
  }
  if (options.smoke && !ordered.some((service) => service.config.smoke))
    result.notes.push(GENERIC_SMOKE_NOTE);
  const deploying = new Set(result.plan.filter((p) => p.deploy).map((p) => p.service));
  const selected = ordered.filter((service) => deploying.has(service.config.name));
  const branch = options.branch ?? (await currentBranch(options.repoDir));
  const triggers = await checkTriggers(
    api,
    target.projectId,
    desired.environmentId,
    selected.map((service) => ({
      name: service.config.name,
      serviceId: service.serviceId,
      fromRepo: sourceOf(instanceOf(live, service.serviceId)) === "commit",
    })),
    branch,
  );
  result.notes.push(...triggers.notes);
  return { ...base, plan, ordered, selected, waitsForCi: triggers.waitsForCi };
}

/** "settings", "variables", "settings and domains", ...: what the plan's rows of a service change. */
function differs(changes: ServiceChanges | undefined): string {
  const kinds = [...new Set((changes?.rows ?? []).map((row) => row.kind ?? "setting"))];
  const words = kinds.map((kind) =>
    kind === "setting" ? "settings" : kind === "variable" ? "variables" : "domains",
  );
  return words.length === 0 ? "settings" : words.join(" and ");
}

function settingsRow(changes: ServiceChanges | undefined, service: DesiredService) {
  return {
    service: service.config.name,
    changes: changes?.rows ?? [],
    applied: false,
    ...(service.unsupported.length > 0 ? { unsupported: service.unsupported } : {}),
  };
}

function sourceOf(instance: LiveInstance): "commit" | "upload" {
  return instance.source?.repo ? "commit" : "upload";
}

/** Variables: the required ones exist and render non-empty; the fixed ones to set come from the plan. */
async function variablesStage(run: Run): Promise<void> {
  const { api, target, desired, result, selected, plan } = run;
  result.variables = await checkRequiredVariables(
    api,
    target.projectId,
    desired.environmentId,
    selected.map((service) => ({ config: service.config, serviceId: service.serviceId })),
  );
  for (const check of result.variables) {
    const rows = plan.services.find((s) => s.service === check.service)?.rows ?? [];
    check.fixedToSet = rows.filter((row) => row.kind === "variable").map((row) => row.field.slice(10));
  }
  requireVariables(result.variables);
}

async function nothingToDeploy(run: Run): Promise<void> {
  run.result.notes.push("nothing to deploy: every service already runs what this commit declares");
  collectUrls(run, run.live);
  done(run.result);
}

/** Apply: the settings of the services to deploy, in one change set against the etag read. */
async function applyStage(run: Run): Promise<ApplyOutcome> {
  const { api, desired, result, selected, options, target } = run;
  const names = new Set(selected.map((service) => service.config.name));
  const only = (plan: EnvironmentPlan): EnvironmentPlan => ({
    ...plan,
    services: plan.services.filter((service) => names.has(service.service)),
  });
  const replan = async () => {
    const live = await readLiveState(api, target.projectId, desired.environmentId, []);
    const services = desired.services.filter((service) => names.has(service.config.name));
    return only(await planEnvironment(api, desired.environmentId, services, live.environment));
  };
  const outcome = await applyChanges(api, desired.environmentId, only(run.plan), replan, options.signal);
  result.notes.push(...outcome.notes);
  for (const row of result.settings) {
    if (outcome.services.includes(row.service) || outcome.clearedConfigFiles.includes(row.service)) {
      row.applied = true;
    }
  }
  return outcome;
}

/** Deploy and wait: the selected services, in dependency order, at the exact commit. */
async function deployStage(run: Run): Promise<void> {
  const { api, options, result, selected, live, target, desired, commitSha, waitsForCi, emit } = run;
  const deadline = options.signal
    ? AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.signal])
    : AbortSignal.timeout(options.timeoutMs);
  // Every deployment's watch listens on the one deadline.
  setMaxListeners(selected.length * 2 + 10, deadline);
  let tarball: Promise<Uint8Array> | undefined;
  // Domains appear with the first deployment: read them while the stability windows run.
  let urls: Promise<LiveState> | undefined;
  const readUrls = () => readLiveState(api, target.projectId, desired.environmentId, []);
  const names = new Set(selected.map((service) => service.config.name));
  const jobs: DeployJob[] = selected.map((service) => ({
    service: service.config.name,
    serviceId: service.serviceId,
    dependsOn: service.config.dependsOn.filter((dep) => names.has(dep)),
    source: sourceOf(instanceOf(live, service.serviceId)),
    waitsForCi: waitsForCi.has(service.config.name),
    expectsExit: Boolean(service.settings.cronSchedule),
    existingDeploymentIds: knownDeployments(live, service.serviceId),
  }));
  result.deployments = await runDeployments(jobs, {
    api,
    projectId: target.projectId,
    environmentId: desired.environmentId,
    commitSha,
    concurrency: options.concurrency,
    stabilityMs: options.stabilityMs,
    deadline,
    interrupted: options.signal,
    cancelInFlightOnInterrupt: options.rollback,
    timeoutMinutes: Math.round(options.timeoutMs / 60_000),
    tarball: () => {
      tarball ??= sourceTarball(options.repoDir, commitSha).then((t) => t.tarball);
      return tarball;
    },
    emit,
    onDeploymentsEnded: () => {
      urls = readUrls();
      urls.catch(() => undefined);
    },
  });
  // Domains can appear with the first deployment, so they are read again after deploying.
  collectUrls(run, await (urls ?? readUrls()).catch(() => readUrls()));
  for (const record of result.deployments) record.url = result.urls.services[record.service] ?? record.url;
}

/**
 * The deployments the live read saw for a service: its latest and the one serving. With the
 * client's rule that a lost answer's deployment was created after the request started (less
 * 5 s of clock skew), an older deployment is never taken for this run's (decision 0120), and no
 * request per service is spent listing them again (decision 0142).
 */
function knownDeployments(live: LiveState, serviceId: string): ReadonlySet<string> {
  const ids = [live.instances.get(serviceId)?.latestDeployment?.id, live.serving.get(serviceId)?.id];
  return new Set(ids.filter((id): id is string => id !== undefined));
}

/** Wait's verdict and the smoke test: the failure to roll back for, if any. */
async function verifyStage(run: Run, applied: ApplyOutcome): Promise<string | undefined> {
  const { api, options, result, selected, commitSha, emit, target, desired } = run;
  const failed = result.deployments.filter((d) => d.status !== "SUCCESS");
  if (options.signal?.aborted) {
    const more: string[] = [];
    if (options.rollback) {
      // Requested, not awaited (GitHub kills the job 10 s after SIGINT); the settings this run
      // changed are put back in the same moment, so the services meet their old settings again.
      const live = result.deployments.filter((d) => d.deploymentId && d.status === "SUCCESS");
      const [rollbacks, settings] = await Promise.all([
        requestRollbacks(api, rollbackTargets(run, live), {
          projectId: target.projectId,
          environmentId: desired.environmentId,
        }),
        restoreSettings(api, desired.environmentId, applied),
      ]);
      result.rollbacks = rollbacks;
      if (settings) {
        result.notes.push(`settings: ${settings.detail}`);
        more.push(settings.ok ? "settings restored" : "settings NOT fully restored (see notes)");
      }
    }
    throw new PipelineError(interruptedReason(result.deployments, result.rollbacks, more));
  }
  if (failed.length > 0) {
    const first = failed.find((d) => d.status !== "NOT_STARTED") ?? failed[0];
    if (!first) return undefined;
    const detail = first.failure?.message ?? outcomeMessage(first, Math.round(options.timeoutMs / 60_000));
    let failure = `${first.service} ${detail.startsWith("not started") ? detail : first.deploymentId ? `deployment ${first.deploymentId} ${first.status}: ${detail}` : `${first.status}: ${detail}`}`;
    if (failed.length > 1) failure += ` (${failed.length} services did not deploy)`;
    return failure;
  }
  if (!options.smoke) return undefined;
  emit({ kind: "stage", stage: "smoke" });
  const deployedNow = new Set(selected.map((service) => service.config.name));
  const expected = (name: string) =>
    deployedNow.has(name) ? commitSha : result.plan.find((p) => p.service === name)?.liveCommit;
  const targets = smokeTargets(options, run.ordered, result, expected);
  for (const role of ["api", "frontend"] as const) {
    const declared = run.ordered.find((s) => s.config.smoke?.role === role);
    if (declared && !targets[role]) {
      result.smoke.push({
        name: `${role} URL`,
        ok: false,
        detail: `${declared.config.name} has no domain in Railway: generate one or set the ${role}-url input`,
      });
    }
  }
  if (!run.ordered.some((service) => service.config.smoke)) {
    // No smoke roles: the generic check of every deployed service with a domain.
    const generic = genericTargets(
      selected.map((service) => ({
        service: service.config.name,
        url: result.urls.services[service.config.name],
        healthcheckPath: service.settings.healthcheckPath,
        cronSchedule: service.settings.cronSchedule,
        expectedCommit: commitSha,
      })),
    );
    targets.generic = generic.targets;
    result.smoke.push(...generic.skipped);
  }
  result.smoke.push(...(await runSmokeTests(targets)));
  const bad = result.smoke.find((check) => !check.ok);
  return bad ? `smoke test failed: ${bad.name}: ${bad.detail}` : undefined;
}

/** Roll back: the deployments this run started, and the settings it changed. Always throws the failure. */
async function rollbackStage(run: Run, applied: ApplyOutcome, failure: string): Promise<never> {
  const { api, options, result, target, desired, emit } = run;
  if (!options.rollback) {
    const kept = applied.applied.length > 0 ? " (and the settings this run applied stay)" : "";
    throw new PipelineError(`${failure}; rollback is off, so the failed deployments stay${kept}`);
  }
  emit({ kind: "stage", stage: "rollback" });
  const started = result.deployments.filter((d) => d.deploymentId);
  // Settings first: a rolled-back deployment must not meet the failed run's settings at its next deploy.
  const settings = await restoreSettings(api, desired.environmentId, applied);
  if (settings) result.notes.push(`settings: ${settings.detail}`);
  result.rollbacks = await rollBack(api, rollbackTargets(run, started), {
    projectId: target.projectId,
    environmentId: desired.environmentId,
    timeoutMs: Math.max(60_000, options.timeoutMs / 2),
    verifyHttp: options.smoke,
    emit,
    stabilityMs: options.stabilityMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const rolled = result.rollbacks.filter((r) => r.ok).length;
  let message = `${failure}; rolled back ${rolled} of ${result.rollbacks.length} service${result.rollbacks.length === 1 ? "" : "s"}`;
  if (settings) message += settings.ok ? "; settings restored" : "; settings NOT fully restored (see notes)";
  throw new PipelineError(message);
}

/** What each started deployment of the run rolls back to. */
function rollbackTargets(run: Run, records: DeploymentRecord[]): RollbackTarget[] {
  const { result } = run;
  const byName = new Map(run.ordered.map((service) => [service.config.name, service]));
  return records.map((record) => {
    const plan = result.plan.find((p) => p.service === record.service);
    const service = byName.get(record.service) as DesiredService;
    return {
      service: record.service,
      serviceId: service.serviceId,
      failedDeploymentId: record.deploymentId as string,
      previousDeploymentId: plan?.liveDeploymentId,
      previousCommit: plan?.liveCommit,
      smoke: service.config.smoke,
      url: result.urls.services[record.service],
      expectsExit: Boolean(service.settings.cronSchedule),
    };
  });
}

function collectUrls(run: Run, live: LiveState): void {
  const { result } = run;
  for (const service of run.ordered) {
    const url = serviceUrl(instanceOf(live, service.serviceId), result.notes, service.config.name);
    if (url) result.urls.services[service.config.name] = url;
    if (service.config.smoke?.role === "api" && url) result.urls.api = url;
    if (service.config.smoke?.role === "frontend" && url) result.urls.frontend = url;
  }
}

function smokeTargets(
  options: PipelineOptions,
  services: DesiredService[],
  result: PipelineResult,
  expected: (name: string) => string | undefined,
): SmokeTargets {
  const apiService = services.find((s) => s.config.smoke?.role === "api");
  const frontendService = services.find((s) => s.config.smoke?.role === "frontend");
  const apiUrl = (options.apiUrl ?? result.urls.api)?.replace(/\/+$/, "");
  const frontendUrl = (options.frontendUrl ?? result.urls.frontend)?.replace(/\/+$/, "");
  if (options.apiUrl) result.urls.api = apiUrl;
  if (options.frontendUrl) result.urls.frontend = frontendUrl;
  const targets: SmokeTargets = {
    deadline: Date.now() + options.smokeTimeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    browserPath: options.browserPath,
  };
  if (apiService?.config.smoke?.role === "api" && apiUrl) {
    targets.api = {
      url: apiUrl,
      versionPath: apiService.config.smoke.versionPath,
      healthPath: apiService.config.smoke.healthPath,
      expectedCommit: expected(apiService.config.name),
    };
  }
  if (frontendService?.config.smoke?.role === "frontend" && frontendUrl) {
    targets.frontend = {
      url: frontendUrl,
      buildInfoPath: frontendService.config.smoke.buildInfoPath,
      expectedCommit: expected(frontendService.config.name),
      expectedApiUrl: apiUrl,
    };
  }
  return targets;
}
