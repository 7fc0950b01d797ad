// Stages 6 and 7: start deployments at the exact commit, in parallel up to a limit, each
// service only after the services it depends on reached SUCCESS; follow every deployment to
// a clear outcome within one overall deadline; then watch a stability window for crashes.

import { TERMINAL_STATUSES } from "../railway/deployment-info.ts";
import type { DeploymentInfo, RailwayApi } from "../railway/types.ts";
import type { DeploymentFailure, DeploymentRecord, PipelineEvent } from "./types.ts";

export interface DeployJob {
  service: string;
  serviceId: string;
  /** Services of this run that must reach SUCCESS first. */
  dependsOn: string[];
  source: "commit" | "upload";
  /** Railway holds this service's deployments until GitHub checks pass ("Wait for CI"). */
  waitsForCi: boolean;
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
  timeoutMinutes: number;
  tarball: () => Promise<Uint8Array>;
  emit: (event: PipelineEvent) => void;
  now?: () => number;
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
  let running = 0;

  return new Promise<DeploymentRecord[]>((resolveAll, rejectAll) => {
    const finishIfDone = () => {
      if (pending.length === 0 && running === 0) {
        Promise.all(stability).then(
          () => resolveAll(jobs.map((job) => records.get(job.service) as DeploymentRecord)),
          rejectAll,
        );
      }
    };

    const schedule = () => {
      for (let index = 0; index < pending.length; ) {
        const job = pending[index] as DeployJob;
        const deps = job.dependsOn.filter((dep) => inRun.has(dep));
        const blocked = deps.find((dep) => ended.has(dep) && !succeeded.has(dep));
        if (blocked || ctx.deadline.aborted) {
          pending.splice(index, 1);
          ended.add(job.service);
          const record = records.get(job.service) as DeploymentRecord;
          record.failure = {
            message: blocked
              ? `not started: ${blocked}, which it depends on, did not deploy`
              : ctx.interrupted?.aborted
                ? "not started: the run was interrupted"
                : "not started: the timeout passed first",
            logTail: [],
          };
          continue;
        }
        if (running < ctx.concurrency && deps.every((dep) => succeeded.has(dep))) {
          pending.splice(index, 1);
          running += 1;
          deployOne(job).then(
            () => {
              running -= 1;
              schedule();
            },
            (error) => rejectAll(error),
          );
          continue;
        }
        index += 1;
      }
      finishIfDone();
    };

    const deployOne = async (job: DeployJob) => {
      const record = records.get(job.service) as DeploymentRecord;
      record.startedAt = now();
      const id =
        job.source === "commit"
          ? await ctx.api.deployCommit(ctx.environmentId, job.serviceId, ctx.commitSha)
          : await ctx.api.uploadSource(ctx.projectId, ctx.environmentId, job.serviceId, await ctx.tarball());
      record.deploymentId = id;
      record.status = "QUEUED";
      ctx.emit({ kind: "deployment", service: job.service, deploymentId: id, status: "QUEUED" });
      const final = await follow(
        ctx,
        job.service,
        id,
        ctx.deadline,
        (d) => TERMINAL_STATUSES.has(d.status) || (job.waitsForCi && d.status === "WAITING"),
        "QUEUED",
      );
      record.durationMs = now() - record.startedAt;
      if (final?.url) record.url = final.url;
      if (ctx.interrupted?.aborted && (!final || !TERMINAL_STATUSES.has(final.status))) {
        // Left to Railway: the previous deployment keeps serving until this one is live, and a
        // rerun sees the service still on its old commit and deploys it again.
        record.status = "INTERRUPTED";
        record.failure = {
          message: `still ${final?.status ?? "QUEUED"} when the run was interrupted; Railway goes on with deployment ${id}`,
          logTail: [],
        };
        ended.add(job.service);
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
        ended.add(job.service);
        return;
      }
      record.status = final.status;
      if (final.status !== "SUCCESS") {
        record.failure = await explainFailure(ctx.api, id, final.status);
        if (final.status !== "FAILED" && final.status !== "CRASHED") {
          record.failure.message = outcomeMessage(record, ctx.timeoutMinutes);
        }
        ended.add(job.service);
        return;
      }
      // SUCCESS: dependents may start now; a crash within the stability window still fails the run.
      succeeded.add(job.service);
      ended.add(job.service);
      if (ctx.stabilityMs > 0) stability.push(watchStability(job, id, record));
    };

    const watchStability = async (job: DeployJob, id: string, record: DeploymentRecord) => {
      const window = ctx.interrupted
        ? AbortSignal.any([AbortSignal.timeout(ctx.stabilityMs), ctx.interrupted])
        : AbortSignal.timeout(ctx.stabilityMs);
      const after = await follow(ctx, job.service, id, window, (d) => d.status !== "SUCCESS", "SUCCESS");
      if (after && after.status !== "SUCCESS" && TERMINAL_STATUSES.has(after.status)) {
        record.status = after.status === "REMOVED" ? "REMOVED" : "CRASHED";
        const failure = await explainFailure(ctx.api, id, after.status);
        record.failure = {
          ...failure,
          message: `reached SUCCESS, then ${after.status} within the ${Math.round(ctx.stabilityMs / 1000)}-second stability window (${failure.message})`,
        };
      }
    };

    schedule();
  });
}
