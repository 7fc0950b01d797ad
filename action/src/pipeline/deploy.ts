// Stages 6 and 7: start deployments at the exact commit, in parallel up to a limit, each
// service only after the services it depends on reached SUCCESS; follow every deployment to
// a clear outcome within one overall deadline; then watch a stability window for crashes.

import { TERMINAL_STATUSES } from "../railway/deployment-info.ts";
import { RailwayDeployUnknownError, RailwayRateLimitError } from "../railway/errors.ts";
import type { DeploymentInfo, DeploymentStatus, InstanceExecution, RailwayApi } from "../railway/types.ts";
import type { DeploymentFailure, DeploymentRecord, PipelineEvent, RollbackRecord } from "./types.ts";

export interface DeployJob {
  service: string;
  serviceId: string;
  /** Services of this run that must reach SUCCESS first. */
  dependsOn: string[];
  source: "commit" | "upload";
  /** Railway holds this service's deployments until GitHub checks pass ("Wait for CI"). */
  waitsForCi: boolean;
  /** A cron service: its instance exits after each run, which is no crash. */
  expectsExit?: boolean;
  /**
   * The service's deployments known before this run deploys it (the live read's latest): a
   * deploy whose answer is lost is never matched to one of them. Unset: the client reads them.
   */
  existingDeploymentIds?: ReadonlySet<string>;
}

export interface DeployContext {
  api: RailwayApi;
  projectId: string;
  environmentId: string;
  commitSha: string;
  concurrency: number;
  stabilityMs: number;
  /** Aborts when the run's overall timeout passes. */
  deadline: AbortSignal;
  /** Set when the run is interrupted (a subset of what aborts `deadline`). */
  interrupted?: AbortSignal;
  /**
   * On an interrupt, deployments that have not started building are always cancelled; with this
   * set (the run rolls back), those building or deploying are cancelled too.
   */
  cancelInFlightOnInterrupt?: boolean;
  timeoutMinutes: number;
  tarball: () => Promise<Uint8Array>;
  emit: (event: PipelineEvent) => void;
  now?: () => number;
  /** Called once every deployment has ended, before the stability windows do (reads that can start then). */
  onDeploymentsEnded?: () => void;
}

export function outcomeMessage(record: DeploymentRecord, timeoutMinutes: number): string {
  switch (record.status) {
    case "SUCCESS":
      return "deployed";
    case "FAILED":
      return record.failure?.step ? `failed at step ${record.failure.step}` : "failed";
    case "CRASHED":
      return record.failure?.message ?? "crashed";
    case "SKIPPED":
      return "Railway skipped the deployment (a watch-pattern filter or a failed 'Wait for CI' check)";
    case "REMOVED":
      return "the deployment was removed before it finished (replaced by a newer deployment, or removed by hand)";
    case "NEEDS_APPROVAL":
      return "waits for approval in Railway: approve it in the dashboard, or deploy with an account allowed to deploy";
    case "WAITING_FOR_CI":
      return "deadlock: Railway's 'Wait for CI' holds this deployment until the GitHub checks of this commit pass, and this run is one of those checks; turn off 'Wait for CI' for this service or deploy from a workflow Railway does not wait for";
    case "TIMED_OUT":
      return `did not finish within the ${timeoutMinutes}-minute timeout`;
    case "INTERRUPTED":
      return record.failure?.message ?? "the run was interrupted";
    case "NOT_STARTED":
      return record.failure?.message ?? "not started";
    case "CANCELLED":
      return record.failure?.message ?? "cancelled when the run was interrupted";
    case "UNKNOWN":
      return record.failure?.message ?? "the outcome of the deploy request is unknown";
    default:
      return record.status.toLowerCase();
  }
}

async function tailOf(api: RailwayApi, id: string, step: string | undefined): Promise<string[]> {
  const buildFirst = !step || /BUILD|SNAPSHOT|UPLOAD/i.test(step);
  const read = async (kind: "build" | "deploy") => {
    try {
      const lines = kind === "build" ? await api.buildLogs(id, 30) : await api.deploymentLogs(id, 30);
      return lines.map((line) => line.message);
    } catch {
      return [];
    }
  };
  const first = await read(buildFirst ? "build" : "deploy");
  const lines = first.length > 0 ? first : await read(buildFirst ? "deploy" : "build");
  return lines.slice(-20);
}

/** The failing step and the tail of the logs, for a person to act on. */
export async function explainFailure(
  api: RailwayApi,
  id: string,
  status: string,
): Promise<DeploymentFailure> {
  let step: string | undefined;
  let message = status === "CRASHED" ? "the service crashed" : `the deployment ended ${status}`;
  try {
    const events = await api.deploymentEvents(id);
    const failed = [...events].reverse().find((event) => /FAIL|ERROR|CRASH/i.test(event.status));
    if (failed) {
      step = failed.step;
      message = failed.message ? `${failed.step}: ${failed.message}` : `${failed.step} failed`;
    }
  } catch {
    // The events are an explanation, not the outcome: keep going without them.
  }
  return { step, message, logTail: await tailOf(api, id, step) };
}

/** Follows one deployment until isDone, surviving an abort (the caller reads the last status). */
async function follow(
  ctx: DeployContext,
  service: string,
  id: string,
  signal: AbortSignal,
  isDone: (d: DeploymentInfo) => boolean,
  knownStatus?: string,
): Promise<DeploymentInfo | undefined> {
  let last: DeploymentInfo | undefined;
  let reported = knownStatus;
  try {
    const result = await ctx.api.watchDeployments([id], {
      signal,
      isDone,
      onChange: (d) => {
        last = d;
        if (d.status !== reported)
          ctx.emit({ kind: "deployment", service, deploymentId: id, status: d.status });
        reported = d.status;
      },
    });
    return result.get(id) ?? last;
  } catch (error) {
    if (!signal.aborted) throw error;
    return last;
  }
}

/** The one line an interrupted run ends with: what is live, cancelled, unknown, not started. */
export function interruptedReason(
  records: DeploymentRecord[],
  rollbacks: RollbackRecord[],
  more: string[] = [],
): string {
  const names = (keep: (d: DeploymentRecord) => boolean) =>
    records
      .filter(keep)
      .map((d) => d.service)
      .join(", ") || "none";
  const parts = [
    `live on the new commit: ${names((d) => d.status === "SUCCESS")}`,
    `cancelled: ${names((d) => d.status === "CANCELLED")}`,
    `still deploying in Railway or unknown: ${names((d) => d.status === "INTERRUPTED" || d.status === "UNKNOWN")}`,
    `not started: ${names((d) => d.status === "NOT_STARTED")}`,
  ];
  const failed = records.filter((d) =>
    ["FAILED", "CRASHED", "REMOVED", "SKIPPED", "TIMED_OUT", "WAITING_FOR_CI", "NEEDS_APPROVAL"].includes(
      d.status,
    ),
  );
  if (failed.length > 0) parts.push(`failed: ${failed.map((d) => d.service).join(", ")}`);
  const requested = rollbacks.filter((r) => r.toDeploymentId).map((r) => r.service);
  if (requested.length > 0) parts.push(`rollback requested: ${requested.join(", ")}`);
  parts.push(...more);
  return `interrupted: ${parts.join("; ")}. A rerun deploys what is not live yet.`;
}

/**
 * How often a deployment's instance crashed, exited or restarted since `sinceMs` (Railway keeps
 * a crash-looping deployment at SUCCESS; deploymentInstanceExecutions tells). Undefined when the
 * API cannot say. Decision: docs/decisions/0122-crash-loops.md.
 */
export async function instanceRestarts(
  api: RailwayApi,
  environmentId: string,
  serviceId: string,
  deploymentId: string,
  options: { sinceMs?: number; expectsExit?: boolean } = {},
): Promise<{ restarts: number; statuses: string[] } | undefined> {
  if (!api.instanceExecutions) return undefined;
  let executions: InstanceExecution[];
  try {
    executions = await api.instanceExecutions(environmentId, serviceId, 50);
  } catch {
    return undefined;
  }
  return restartsOf(executions, deploymentId, options.sinceMs ?? 0, options.expectsExit);
}

/** The runs of the deployment that count as restarts since `since` (a cron service's exits do not). */
function restartsOf(
  executions: InstanceExecution[],
  deploymentId: string,
  since: number,
  expectsExit: boolean | undefined,
): { restarts: number; statuses: string[] } {
  const bad = executions.filter(
    (e) =>
      e.deploymentId === deploymentId &&
      (e.status === "CRASHED" || e.status === "RESTARTING" || (e.status === "EXITED" && !expectsExit)) &&
      Date.parse(e.completedAt ?? e.createdAt) >= since,
  );
  return { restarts: bad.length, statuses: [...new Set(bad.map((e) => e.status))] };
}

/**
 * instanceRestarts of many deployments at once: one read per 100 services where the API batches
 * (instanceExecutionsMany), else one read per service, in parallel. Keyed by deployment id;
 * missing where the API cannot say.
 */
export async function instanceRestartsMany(
  api: RailwayApi,
  environmentId: string,
  checks: { serviceId: string; deploymentId: string; expectsExit?: boolean }[],
): Promise<Map<string, { restarts: number; statuses: string[] }>> {
  const out = new Map<string, { restarts: number; statuses: string[] }>();
  if (checks.length === 0) return out;
  if (!api.instanceExecutionsMany) {
    await Promise.all(
      checks.map(async (check) => {
        const loop = await instanceRestarts(api, environmentId, check.serviceId, check.deploymentId, {
          expectsExit: check.expectsExit,
        });
        if (loop) out.set(check.deploymentId, loop);
      }),
    );
    return out;
  }
  let runs: Map<string, InstanceExecution[]>;
  try {
    runs = await api.instanceExecutionsMany(
      environmentId,
      checks.map((check) => check.serviceId),
      50,
    );
  } catch {
    return out;
  }
  for (const check of checks) {
    const executions = runs.get(check.serviceId);
    if (executions)
      out.set(check.deploymentId, restartsOf(executions, check.deploymentId, 0, check.expectsExit));
  }
  return out;
}

/** Statuses of a deployment that has not started building: cancelling it changes nothing live. */
const NOT_YET_BUILDING: ReadonlySet<string> = new Set([
  "QUEUED",
  "WAITING",
  "INITIALIZING",
  "NEEDS_APPROVAL",
]);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Starts and follows every job; never rejects. Each started deployment is followed to its own
 * end (or to the deadline, or to an interrupt), so one service failing to start leaves the others
 * to finish and be reported (docs/decisions/0121-partial-failures-and-interrupts.md).
 */
export async function runDeployments(jobs: DeployJob[], ctx: DeployContext): Promise<DeploymentRecord[]> {
  const now = ctx.now ?? Date.now;
  const records = new Map<string, DeploymentRecord>(
    jobs.map((job) => [job.service, { service: job.service, status: "NOT_STARTED" }]),
  );
  const inRun = new Set(jobs.map((job) => job.service));
  const succeeded = new Set<string>();
  const ended = new Set<string>();
  const pending = [...jobs];
  const stability: Promise<void>[] = [];
  const crashChecks: { job: DeployJob; id: string; record: DeploymentRecord; successAt: number }[] = [];
  const active = new Set<Promise<void>>();
  /** Set when Railway's rate limit refused a deploy request longer than the client waits: nothing more starts. */
  let limited: RailwayRateLimitError | undefined;
  const rateLimitMessage = (error: RailwayRateLimitError) => {
    const started = jobs
      .map((job) => records.get(job.service) as DeploymentRecord)
      .filter((record) => record.deploymentId)
      .map((record) => record.service);
    return `not started: Railway's rate limit was reached${error.retryAfterSeconds === undefined ? "" : ` (retry after ${error.retryAfterSeconds} s)`}; started before it: ${started.join(", ") || "none"}`;
  };

  const notStarted = (job: DeployJob, message: string) => {
    ended.add(job.service);
    const record = records.get(job.service) as DeploymentRecord;
    record.failure = { message, logTail: [] };
  };

  const follow1 = async (job: DeployJob, record: DeploymentRecord, id: string) => {
    const final = await follow(
      ctx,
      job.service,
      id,
      ctx.deadline,
      (d) => TERMINAL_STATUSES.has(d.status) || (job.waitsForCi && d.status === "WAITING"),
      "QUEUED",
    );
    record.durationMs = now() - (record.startedAt ?? now());
    if (final?.url) record.url = final.url;
    if (ctx.interrupted?.aborted && (!final || !TERMINAL_STATUSES.has(final.status))) {
      // What the watch saw last may be stale by now: ask once, to cancel only what has not started building.
      const last = await ctx.api.deployment(id).then(
        (d) => d.status,
        () => final?.status ?? "QUEUED",
      );
      if (TERMINAL_STATUSES.has(last as DeploymentStatus)) {
        record.status = last as DeploymentStatus;
        if (last === "SUCCESS") succeeded.add(job.service);
        else record.failure = await explainFailure(ctx.api, id, last);
        return;
      }
      if (NOT_YET_BUILDING.has(last) || ctx.cancelInFlightOnInterrupt) {
        try {
          await ctx.api.cancel(id);
          record.status = "CANCELLED";
          record.failure = {
            message: `cancelled: it was ${last} when the run was interrupted`,
            logTail: [],
          };
          ctx.emit({ kind: "info", message: `${job.service}: cancelled deployment ${id} (it was ${last})` });
          return;
        } catch (error) {
          record.status = "INTERRUPTED";
          record.failure = {
            message: `still ${last} when the run was interrupted, and cancelling it failed (${messageOf(error)}); Railway may go on with deployment ${id}`,
            logTail: [],
          };
          return;
        }
      }
      // Left to Railway: the previous deployment keeps serving until this one is live, and a
      // rerun sees the service still on its old commit and deploys it again.
      record.status = "INTERRUPTED";
      record.failure = {
        message: `still ${last} when the run was interrupted; Railway goes on with deployment ${id}`,
        logTail: [],
      };
      return;
    }
    if (!final || !TERMINAL_STATUSES.has(final.status)) {
      record.status = final?.status === "WAITING" && job.waitsForCi ? "WAITING_FOR_CI" : "TIMED_OUT";
      record.failure = {
        message:
          record.status === "TIMED_OUT"
            ? `still ${final?.status ?? "QUEUED"} when the ${ctx.timeoutMinutes}-minute timeout passed`
            : outcomeMessage(record, ctx.timeoutMinutes),
        logTail: [],
      };
      if (record.status === "TIMED_OUT") await ctx.api.cancel(id).catch(() => undefined);
      return;
    }
    record.status = final.status;
    if (final.status !== "SUCCESS") {
      record.failure = await explainFailure(ctx.api, id, final.status);
      if (final.status !== "FAILED" && final.status !== "CRASHED") {
        record.failure.message = outcomeMessage(record, ctx.timeoutMinutes);
      }
      return;
    }
    // SUCCESS: dependents may start now; a crash within the stability window still fails the run.
    succeeded.add(job.service);
    if (ctx.stabilityMs > 0) stability.push(watchStability(job, id, record));
  };

  const deployOne = async (job: DeployJob) => {
    const record = records.get(job.service) as DeploymentRecord;
    record.startedAt = now();
    let id: string;
    try {
      const options = {
        ...(ctx.interrupted ? { signal: ctx.interrupted } : {}),
        ...(job.existingDeploymentIds ? { existingDeploymentIds: job.existingDeploymentIds } : {}),
      };
      id =
        job.source === "commit"
          ? await ctx.api.deployCommit(ctx.environmentId, job.serviceId, ctx.commitSha, options)
          : await ctx.api.uploadSource(
              ctx.projectId,
              ctx.environmentId,
              job.serviceId,
              await ctx.tarball(),
              options,
            );
    } catch (error) {
      record.durationMs = now() - record.startedAt;
      if (error instanceof RailwayDeployUnknownError) {
        record.status = "UNKNOWN";
        record.failure = { message: error.message, logTail: [] };
      } else if (error instanceof RailwayRateLimitError) {
        // Refused, not started: nothing more starts; the started deployments are followed to the end.
        limited = error;
        record.failure = { message: rateLimitMessage(error), logTail: [] };
      } else {
        record.failure = {
          message: `not started: the deploy request failed: ${messageOf(error)}`,
          logTail: [],
        };
      }
      return;
    }
    record.deploymentId = id;
    record.status = "QUEUED";
    ctx.emit({ kind: "deployment", service: job.service, deploymentId: id, status: "QUEUED" });
    try {
      await follow1(job, record, id);
    } catch (error) {
      record.status = "UNKNOWN";
      record.durationMs = now() - record.startedAt;
      record.failure = { message: `could not follow deployment ${id}: ${messageOf(error)}`, logTail: [] };
    }
  };

  const watchStability = async (job: DeployJob, id: string, record: DeploymentRecord) => {
    const windowStart = now();
    const window = ctx.interrupted
      ? AbortSignal.any([AbortSignal.timeout(ctx.stabilityMs), ctx.interrupted])
      : AbortSignal.timeout(ctx.stabilityMs);
    let after: DeploymentInfo | undefined;
    try {
      after = await follow(ctx, job.service, id, window, (d) => d.status !== "SUCCESS", "SUCCESS");
    } catch {
      return; // A read failing in the window is not a crash: the deployment reached SUCCESS.
    }
    const seconds = Math.round(ctx.stabilityMs / 1000);
    if (after && after.status !== "SUCCESS" && TERMINAL_STATUSES.has(after.status)) {
      record.status = after.status === "REMOVED" ? "REMOVED" : "CRASHED";
      const failure = await explainFailure(ctx.api, id, after.status);
      record.failure = {
        ...failure,
        message: `reached SUCCESS, then ${after.status} within the ${seconds}-second stability window (${failure.message})`,
      };
      return;
    }
    if (ctx.interrupted?.aborted) return;
    // Still SUCCESS: Railway keeps a crash-looping deployment there; its instance runs tell,
    // read for every deployment at once when the last window ends.
    crashChecks.push({ job, id, record, successAt: windowStart });
  };

  /** One batched read of every stable deployment's instance runs: a crash loop fails it. */
  const checkCrashLoops = async () => {
    if (crashChecks.length === 0 || ctx.interrupted?.aborted) return;
    const readAt = now();
    const loops = await instanceRestartsMany(
      ctx.api,
      ctx.environmentId,
      crashChecks.map(({ job, id }) => ({
        serviceId: job.serviceId,
        deploymentId: id,
        expectsExit: job.expectsExit,
      })),
    );
    const seconds = Math.round(ctx.stabilityMs / 1000);
    await Promise.all(
      crashChecks.map(async ({ id, record, successAt }) => {
        const loop = loops.get(id);
        if (!loop || loop.restarts === 0 || record.status !== "SUCCESS") return;
        record.status = "CRASHED";
        const failure = await explainFailure(ctx.api, id, "CRASHED");
        const watched = Math.round((readAt - successAt) / 1000);
        // Watched longer than the window when other services' windows ended later: say so.
        const within =
          watched <= seconds + 5
            ? `within the ${seconds}-second stability window`
            : `in the ${watched} s after it reached SUCCESS (the ${seconds}-second stability window, then the wait for the other services' windows)`;
        record.failure = {
          ...failure,
          message: `reached SUCCESS, but its instance ${loop.statuses.join("/")} ${loop.restarts} time${loop.restarts === 1 ? "" : "s"} ${within}: a crash loop (Railway still shows the deployment SUCCESS)`,
        };
      }),
    );
  };

  const schedule = () => {
    for (let index = 0; index < pending.length; ) {
      const job = pending[index] as DeployJob;
      const deps = job.dependsOn.filter((dep) => inRun.has(dep));
      const blocked = deps.find((dep) => ended.has(dep) && !succeeded.has(dep));
      if (blocked || ctx.deadline.aborted || limited) {
        pending.splice(index, 1);
        notStarted(
          job,
          limited
            ? rateLimitMessage(limited)
            : blocked
              ? `not started: ${blocked}, which it depends on, did not deploy`
              : ctx.interrupted?.aborted
                ? "not started: the run was interrupted"
                : "not started: the timeout passed first",
        );
        continue;
      }
      if (active.size < ctx.concurrency && deps.every((dep) => succeeded.has(dep))) {
        pending.splice(index, 1);
        const running: Promise<void> = deployOne(job)
          .catch((error) => {
            // deployOne records its own failures; this is a bug guard, never a silent loss.
            const record = records.get(job.service) as DeploymentRecord;
            record.status = "UNKNOWN";
            record.failure = { message: `unexpected error: ${messageOf(error)}`, logTail: [] };
          })
          .finally(() => {
            ended.add(job.service);
            active.delete(running);
          });
        active.add(running);
        continue;
      }
      index += 1;
    }
  };

  schedule();
  while (active.size > 0) {
    await Promise.race(active);
    schedule();
  }
  // Jobs left pending wait for a dependency that never came (not in the run, or a cycle).
  for (const job of pending.splice(0)) notStarted(job, "not started: its dependencies did not deploy");
  ctx.onDeploymentsEnded?.();
  await Promise.all(stability);
  await checkCrashLoops();
  return jobs.map((job) => records.get(job.service) as DeploymentRecord);
}
