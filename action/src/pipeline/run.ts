// The pipeline core: validate → target → changes → variables → settings → deploy → wait →
// smoke → rollback. Takes plain options and a Railway API, returns a plain result; it never
// prints (the front doors render the result and the progress events).
import { setMaxListeners } from "node:events";
import { loadConfig, resolveServiceSettings } from "../config/index.ts";
import type { ServiceConfig, ServiceSettings } from "../config/types.ts";
import { currentBranch, resolveCommit } from "../git/git.ts";
import { RailwayError } from "../railway/errors.ts";
import type { DeploymentInfo, RailwayApi, ServiceInstanceInfo } from "../railway/types.ts";
import { type LiveService, planChanges } from "./changes.ts";
import { type DeployJob, outcomeMessage, runDeployments } from "./deploy.ts";
import { rollBack } from "./rollback.ts";
import { diffSettings, updateInputFor } from "./settings.ts";
import { runSmokeTests, type SmokeTargets, urlForDomain } from "./smoke.ts";
import { sourceTarball } from "./tarball.ts";
import { dependencyOrder, resolveTarget } from "./target.ts";
import { PipelineError, type PipelineEvent, type PipelineOptions, type PipelineResult } from "./types.ts";
import { checkVariables, describeProblem } from "./variables.ts";

export interface PipelineDeps {
  /** Required for every mode but validate. */
  api?: RailwayApi;
  emit?: (event: PipelineEvent) => void;
}

type LoadedConfig = Awaited<ReturnType<typeof loadConfig>>;

interface ServiceState {
  config: ServiceConfig;
  serviceId: string;
  instance: ServiceInstanceInfo;
  live?: DeploymentInfo;
  wanted: ServiceSettings;
}

const HEALTHY = new Set(["SUCCESS", "SLEEPING"]);

/** The deployment serving now: the newest SUCCESS (or sleeping) one. */
async function liveDeployment(
  api: RailwayApi,
  projectId: string,
  environmentId: string,
  instance: ServiceInstanceInfo,
): Promise<DeploymentInfo | undefined> {
  if (instance.latestDeployment && HEALTHY.has(instance.latestDeployment.status))
    return instance.latestDeployment;
  if (!instance.latestDeployment) return undefined;
  const recent = await api.deployments(projectId, environmentId, instance.serviceId, 20);
  return recent.find((deployment) => HEALTHY.has(deployment.status));
}

export function serviceUrl(
  instance: ServiceInstanceInfo,
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
  api: RailwayApi | undefined,
  result: PipelineResult,
  emit: (event: PipelineEvent) => void,
): Promise<void> {
  // 1. Validate.
  emit({ kind: "stage", stage: "validate" });
  let config: LoadedConfig = await loadConfig({ repoDir: options.repoDir, files: options.configFiles });
  result.findings = config.findings;
  const errors = config.findings.filter((finding) => finding.severity === "error");
  if (errors.length > 0) {
    throw new PipelineError(
      `the config has ${errors.length} error${errors.length > 1 ? "s" : ""} (first: ${errors[0]?.location.file}:${errors[0]?.location.line} ${errors[0]?.message})`,
    );
  }
  if (config.services.length === 0) throw new PipelineError("no railway.toml file declares a service");
  if (options.mode === "validate") {
    result.ok = true;
    return;
  }
  if (!api) throw new PipelineError(`a Railway token is required for mode ${options.mode}`);

  const known = new Set(config.services.map((service) => service.name));
  if (Array.isArray(options.services)) {
    const unknown = options.services.filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new PipelineError(
        `services: ${unknown.join(", ")} ${unknown.length > 1 ? "are" : "is"} not declared in any railway.toml (declared: ${[...known].join(", ")})`,
      );
    }
  }
  const commitSha = await resolveCommit(options.repoDir, options.commitSha ?? "HEAD");
  result.commitSha = commitSha;
  const branch = options.branch ?? (await currentBranch(options.repoDir));

  // 2. Resolve the target.
  emit({ kind: "stage", stage: "target" });
  const target = await resolveTarget(api, config.services, options);
  result.projectId = target.projectId;
  result.notes.push(...target.notes);
  const environmentId = target.environment.id;
  // Environment overrides can now be checked against the environments that exist.
  const environmentNames = target.environments.map((env) => env.name);
  config = await loadConfig({
    repoDir: options.repoDir,
    files: options.configFiles,
    environments: environmentNames,
  });
  result.findings = config.findings;
  // Fixed variables live in the repository, not in secrets: they stay readable in the log.
  api.treatAsPublic?.(config.services.flatMap((service) => Object.entries(service.fixedVariables)));
  const envErrors = config.findings.filter((finding) => finding.severity === "error");
  if (envErrors.length > 0) {
    throw new PipelineError(
      `the config has ${envErrors.length} error${envErrors.length > 1 ? "s" : ""} (first: ${envErrors[0]?.location.file}:${envErrors[0]?.location.line} ${envErrors[0]?.message})`,
    );
  }
  const order = dependencyOrder(config.services);

  // 3. Live state and the plan.
  emit({ kind: "stage", stage: "plan" });
  const states = new Map<string, ServiceState>();
  await Promise.all(
    target.services.map(async ({ config: serviceConfig, railway }) => {
      const instance = await api.serviceInstance(environmentId, railway.id);
      const live = await liveDeployment(api, target.projectId, environmentId, instance);
      const wanted = resolveServiceSettings(config, serviceConfig.name, target.environment.name);
      states.set(serviceConfig.name, {
        config: serviceConfig,
        serviceId: railway.id,
        instance,
        live,
        wanted,
      });
    }),
  );
  const ordered = order.map((name) => states.get(name) as ServiceState);
  for (const state of ordered) {
    const changes = diffSettings(state.wanted, state.instance);
    result.settings.push({ service: state.config.name, changes, applied: false });
  }
  const live: LiveService[] = ordered.map((state) => ({
    config: state.config,
    serviceId: state.serviceId,
    live: state.live,
    wanted: state.wanted,
    settingsDiffer: (result.settings.find((s) => s.service === state.config.name)?.changes.length ?? 0) > 0,
    source: state.instance.source?.repo ? "commit" : "upload",
  }));
  const explicit = options.mode === "redeploy" ? (options.services ?? "all") : undefined;
  result.plan = await planChanges(options.repoDir, commitSha, live, explicit, result.notes);
  if (options.mode !== "redeploy" && Array.isArray(options.services)) {
    for (const plan of result.plan) {
      if (plan.deploy && !options.services.includes(plan.service)) {
        plan.deploy = false;
        plan.reason = `${plan.reason}; left out: not in the services input`;
      }
    }
  }
  const selected = result.plan
    .filter((plan) => plan.deploy)
    .map((plan) => states.get(plan.service) as ServiceState);

  // Railway's own triggers: double deploys and "Wait for CI" deadlocks.
  const waitsForCi = new Set<string>();
  await Promise.all(
    selected.map(async (state) => {
      if (!state.instance.source?.repo) return;
      const triggers = await api.deploymentTriggers(target.projectId, environmentId, state.serviceId);
      for (const trigger of triggers) {
        const sameBranch = !branch || trigger.branch === branch;
        if (!sameBranch) continue;
        result.notes.push(
          `${state.config.name}: Railway also autodeploys ${trigger.repository}@${trigger.branch} on push, so this commit is deployed twice; turn off the trigger in Railway (Settings → Source) and let Railyard deploy`,
        );
        if (trigger.checkSuites) {
          waitsForCi.add(state.config.name);
          result.notes.push(
            `${state.config.name}: Railway's "Wait for CI" is on, so its deployments wait for this commit's GitHub checks, which include this run: the deployment may wait for this very check (deadlock)`,
          );
        }
      }
    }),
  );

  // 4. Variables.
  emit({ kind: "stage", stage: "variables" });
  const rendered = new Map<string, Record<string, string>>();
  await Promise.all(
    selected.map(async (state) => {
      rendered.set(
        state.config.name,
        await api.variablesForDeployment(target.projectId, environmentId, state.serviceId),
      );
    }),
  );
  for (const state of selected) {
    result.variables.push(checkVariables(state.config, rendered.get(state.config.name) ?? {}));
  }
  const problems = result.variables.flatMap((check) =>
    check.problems.map((p) => describeProblem(check.service, p)),
  );
  if (problems.length > 0) {
    throw new PipelineError(
      problems.length === 1
        ? `${problems[0]}; nothing was deployed`
        : `${problems.length} required variables are missing or empty (first: ${problems[0]}); nothing was deployed`,
    );
  }
  if (options.mode === "plan") {
    result.ok = true;
    return;
  }
  if (selected.length === 0) {
    result.ok = true;
    result.notes.push("nothing to deploy: every service already runs what this commit declares");
    await collectUrls(api, target.projectId, environmentId, ordered, result, false);
    return;
  }

  if (options.signal?.aborted) throw new PipelineError("interrupted before anything was changed or deployed");

  // 5. Settings and fixed variables.
  emit({ kind: "stage", stage: "settings" });
  for (const state of selected) {
    const diff = result.settings.find((s) => s.service === state.config.name);
    if (diff && diff.changes.length > 0) {
      await api.updateServiceInstance(state.serviceId, environmentId, updateInputFor(diff.changes));
      diff.applied = true;
    }
    const check = result.variables.find((v) => v.service === state.config.name);
    if (check && check.fixedToSet.length > 0) {
      const values = Object.fromEntries(
        check.fixedToSet.map((name) => [name, state.config.fixedVariables[name] ?? ""]),
      );
      await api.upsertVariables(target.projectId, environmentId, state.serviceId, values);
    }
  }

  // 6 + 7. Deploy and wait.
  emit({ kind: "stage", stage: "deploy" });
  const deadline = options.signal
    ? AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.signal])
    : AbortSignal.timeout(options.timeoutMs);
  // Every deployment's watch listens on the one deadline.
  setMaxListeners(selected.length * 2 + 10, deadline);
  let tarball: Promise<Uint8Array> | undefined;
  const selectedNames = new Set(selected.map((state) => state.config.name));
  const jobs: DeployJob[] = selected.map((state) => ({
    service: state.config.name,
    serviceId: state.serviceId,
    dependsOn: state.config.dependsOn.filter((dep) => selectedNames.has(dep)),
    source: state.instance.source?.repo ? "commit" : "upload",
    waitsForCi: waitsForCi.has(state.config.name),
  }));
  result.deployments = await runDeployments(jobs, {
    api,
    projectId: target.projectId,
    environmentId,
    commitSha,
    concurrency: options.concurrency,
    stabilityMs: options.stabilityMs,
    deadline,
    interrupted: options.signal,
    timeoutMinutes: Math.round(options.timeoutMs / 60_000),
    tarball: () => {
      tarball ??= sourceTarball(options.repoDir, commitSha).then((t) => t.tarball);
      return tarball;
    },
    emit,
  });
  const failed = result.deployments.filter((d) => d.status !== "SUCCESS");
  await collectUrls(api, target.projectId, environmentId, ordered, result, true);
  for (const record of result.deployments) record.url = result.urls.services[record.service] ?? record.url;

  let failure: string | undefined;
  if (options.signal?.aborted) {
    const done = result.deployments.filter((d) => d.status === "SUCCESS").map((d) => d.service);
    const open = result.deployments.filter((d) => d.status === "INTERRUPTED").map((d) => d.service);
    const notStarted = result.deployments.filter((d) => d.status === "NOT_STARTED").map((d) => d.service);
    throw new PipelineError(
      `interrupted: deployed ${done.join(", ") || "nothing"}; still deploying in Railway: ${open.join(", ") || "none"}; not started: ${notStarted.join(", ") || "none"}. A rerun deploys what is not live yet.`,
    );
  }
  if (failed.length > 0) {
    const first = failed.find((d) => d.status !== "NOT_STARTED") ?? failed[0];
    if (first) {
      const detail = first.failure?.message ?? outcomeMessage(first, Math.round(options.timeoutMs / 60_000));
      failure = `${first.service} ${detail.startsWith("not started") ? detail : `deployment ${first.deploymentId ?? ""} ${first.status}: ${detail}`}`;
      if (failed.length > 1) failure += ` (${failed.length} services did not deploy)`;
    }
  } else if (options.smoke) {
    // 8. Smoke test.
    emit({ kind: "stage", stage: "smoke" });
    const expected = (name: string) =>
      selectedNames.has(name) ? commitSha : result.plan.find((p) => p.service === name)?.liveCommit;
    const targets = smokeTargets(options, ordered, result, expected);
    for (const role of ["api", "frontend"] as const) {
      const declared = ordered.find((s) => s.config.smoke?.role === role);
      if (declared && !targets[role]) {
        result.smoke.push({
          name: `${role} URL`,
          ok: false,
          detail: `${declared.config.name} has no domain in Railway: generate one or set the ${role}-url input`,
        });
      }
    }
    result.smoke.push(...(await runSmokeTests(targets)));
    const bad = result.smoke.find((check) => !check.ok);
    if (bad) failure = `smoke test failed: ${bad.name}: ${bad.detail}`;
  }

  // 9. Roll back.
  if (failure) {
    if (options.rollback) {
      emit({ kind: "stage", stage: "rollback" });
      const started = result.deployments.filter((d) => d.deploymentId);
      result.rollbacks = await rollBack(
        api,
        started.map((record) => {
          const plan = result.plan.find((p) => p.service === record.service);
          const state = states.get(record.service) as ServiceState;
          return {
            service: record.service,
            serviceId: state.serviceId,
            failedDeploymentId: record.deploymentId as string,
            previousDeploymentId: plan?.liveDeploymentId,
            previousCommit: plan?.liveCommit,
            smoke: state.config.smoke,
            url: result.urls.services[record.service],
          };
        }),
        {
          projectId: target.projectId,
          environmentId,
          timeoutMs: Math.max(60_000, options.timeoutMs / 2),
          verifyHttp: options.smoke,
          emit,
        },
      );
      const rolled = result.rollbacks.filter((r) => r.ok).length;
      failure += `; rolled back ${rolled} of ${result.rollbacks.length} service${result.rollbacks.length === 1 ? "" : "s"}`;
    } else {
      failure += "; rollback is off, so the failed deployments stay";
    }
    throw new PipelineError(failure);
  }
  result.ok = true;
}

async function collectUrls(
  api: RailwayApi,
  projectId: string,
  environmentId: string,
  states: ServiceState[],
  result: PipelineResult,
  refresh: boolean,
): Promise<void> {
  void projectId;
  for (const state of states) {
    // Domains can appear with the first deployment, so read them again after deploying.
    const instance = refresh ? await api.serviceInstance(environmentId, state.serviceId) : state.instance;
    state.instance = instance;
    const url = serviceUrl(instance, result.notes, state.config.name);
    if (url) result.urls.services[state.config.name] = url;
    if (state.config.smoke?.role === "api" && url) result.urls.api = url;
    if (state.config.smoke?.role === "frontend" && url) result.urls.frontend = url;
  }
}

function smokeTargets(
  options: PipelineOptions,
  states: ServiceState[],
  result: PipelineResult,
  expected: (name: string) => string | undefined,
): SmokeTargets {
  const apiState = states.find((s) => s.config.smoke?.role === "api");
  const frontendState = states.find((s) => s.config.smoke?.role === "frontend");
  const apiUrl = (options.apiUrl ?? result.urls.api)?.replace(/\/+$/, "");
  const frontendUrl = (options.frontendUrl ?? result.urls.frontend)?.replace(/\/+$/, "");
  if (options.apiUrl) result.urls.api = apiUrl;
  if (options.frontendUrl) result.urls.frontend = frontendUrl;
  const targets: SmokeTargets = {
    deadline: Date.now() + options.smokeTimeoutMs,
    browserPath: options.browserPath,
  };
  if (apiState?.config.smoke?.role === "api" && apiUrl) {
    targets.api = {
      url: apiUrl,
      versionPath: apiState.config.smoke.versionPath,
      healthPath: apiState.config.smoke.healthPath,
      expectedCommit: expected(apiState.config.name),
    };
  }
  if (frontendState?.config.smoke?.role === "frontend" && frontendUrl) {
    targets.frontend = {
      url: frontendUrl,
      buildInfoPath: frontendState.config.smoke.buildInfoPath,
      expectedCommit: expected(frontendState.config.name),
      expectedApiUrl: apiUrl,
    };
  }
  return targets;
}
