// Stage 9: put back what served before this run, and check that it serves again.
import type { SmokeRole } from "../config/types.ts";
import { TERMINAL_STATUSES } from "../railway/deployment-info.ts";
import { RailwayNetworkError } from "../railway/errors.ts";
import { sleep } from "../railway/transport.ts";
import type { RailwayApi } from "../railway/types.ts";
import { instanceRestarts } from "./deploy.ts";
import { runSmokeTests } from "./smoke.ts";
import type { PipelineEvent, RollbackRecord } from "./types.ts";

export interface RollbackTarget {
  service: string;
  serviceId: string;
  failedDeploymentId: string;
  previousDeploymentId?: string;
  previousCommit?: string;
  smoke?: SmokeRole;
  url?: string;
  /** A cron service: its instance exits after each run, which is no crash. */
  expectsExit?: boolean;
}

/** A deployment whose instance crashed or restarted this recently is no rollback target. */
const CRASH_LOOKBACK_MS = 10 * 60_000;

/** Statuses a deployment may not be rolled back to, whatever canRollback says. */
const NOT_A_TARGET: ReadonlySet<string> = new Set(["CRASHED", "FAILED", "SKIPPED", "NEEDS_APPROVAL"]);

/**
 * The deployment to go back to: the one that served before the run when there was one, else the
 * newest earlier deployment Railway can roll back to that did not fail or crash.
 */
async function chooseTarget(
  api: RailwayApi,
  target: RollbackTarget,
  ctx: { projectId: string; environmentId: string; exclude: ReadonlySet<string> },
): Promise<{ id?: string; commit?: string; why?: string }> {
  const since = Date.now() - CRASH_LOOKBACK_MS;
  const crashLoops = async (id: string) =>
    ((
      await instanceRestarts(api, ctx.environmentId, target.serviceId, id, {
        sinceMs: since,
        expectsExit: target.expectsExit,
      })
    )?.restarts ?? 0) > 0;
  let skipped: string | undefined;
  if (target.previousDeploymentId) {
    if (!(await crashLoops(target.previousDeploymentId)))
      return { id: target.previousDeploymentId, commit: target.previousCommit };
    skipped = target.previousDeploymentId;
  }
  const recent = (await api.deployments(ctx.projectId, ctx.environmentId, target.serviceId, 20)).filter(
    (d) => !ctx.exclude.has(d.id) && d.id !== skipped,
  );
  const candidates = recent.filter(
    (d) => (d.canRollback ?? d.status === "SUCCESS") && !NOT_A_TARGET.has(d.status),
  );
  for (const candidate of candidates.slice(0, 5)) {
    if (await crashLoops(candidate.id)) continue;
    const commit = typeof candidate.meta?.commitHash === "string" ? candidate.meta.commitHash : undefined;
    return { id: candidate.id, ...(commit ? { commit } : {}) };
  }
  const loop = skipped
    ? `the deployment that served before (${skipped}) crash-loops (its instance restarted in the last ${CRASH_LOOKBACK_MS / 60_000} minutes), so it is no rollback target; `
    : "";
  return {
    why:
      recent.length === 0
        ? `${loop}no earlier deployment to roll back to${skipped ? "" : " (first deploy)"}`
        : `${loop}no earlier deployment to roll back to: none of the ${recent.length} earlier deployment${recent.length === 1 ? "" : "s"} of this service can be rolled back to (${recent
            .slice(0, 3)
            .map((d) => `${d.id} ${d.status}`)
            .join(", ")}${recent.length > 3 ? ", ..." : ""})`,
  };
}

export async function rollBack(
  api: RailwayApi,
  targets: RollbackTarget[],
  ctx: {
    projectId: string;
    environmentId: string;
    timeoutMs: number;
    /** Check over HTTP that the service serves its previous commit again (when the run smoke-tests). */
    verifyHttp: boolean;
    emit: (event: PipelineEvent) => void;
    /** The run's interrupt: rollbacks already requested are reported, not waited for. */
    signal?: AbortSignal;
    /** A rollback deployment that crashes or restarts within this window after SUCCESS failed. */
    stabilityMs?: number;
  },
): Promise<RollbackRecord[]> {
  const deadline = ctx.signal
    ? AbortSignal.any([AbortSignal.timeout(ctx.timeoutMs), ctx.signal])
    : AbortSignal.timeout(ctx.timeoutMs);
  const exclude = new Set(targets.map((target) => target.failedDeploymentId));
  return Promise.all(
    targets.map(async (target): Promise<RollbackRecord> => {
      try {
        const chosen = await chooseTarget(api, target, { ...ctx, exclude });
        if (!chosen.id) return { service: target.service, ok: false, detail: chosen.why ?? "no target" };
        const to = { ...target, previousDeploymentId: chosen.id, previousCommit: chosen.commit };
        return await rollBackOne(api, to, chosen.id, ctx, deadline);
      } catch (error) {
        return {
          service: target.service,
          ...(target.previousDeploymentId ? { toDeploymentId: target.previousDeploymentId } : {}),
          ok: false,
          detail: `rollback failed: ${(error as Error).message}`,
        };
      }
    }),
  );
}

async function rollBackOne(
  api: RailwayApi,
  target: RollbackTarget,
  toId: string,
  ctx: {
    projectId: string;
    environmentId: string;
    verifyHttp: boolean;
    emit: (event: PipelineEvent) => void;
    signal?: AbortSignal;
    stabilityMs?: number;
  },
  deadline: AbortSignal,
): Promise<RollbackRecord> {
  await api.cancel(target.failedDeploymentId).catch(() => undefined);
  const before = new Set(
    (await api.deployments(ctx.projectId, ctx.environmentId, target.serviceId, 10)).map((d) => d.id),
  );
  let lostAnswer: string | undefined;
  try {
    await api.rollback(toId);
  } catch (error) {
    // The answer was lost, not the request: look for the deployment it created, never send it again.
    if (!(error instanceof RailwayNetworkError && error.ambiguous)) throw error;
    lostAnswer = error.message.split(". ")[0];
  }
  // deploymentRollback answers a Boolean: find the deployment it created.
  let newId: string | undefined;
  while (!newId && !deadline.aborted) {
    const recent = await api.deployments(ctx.projectId, ctx.environmentId, target.serviceId, 10);
    newId = recent.find((d) => !before.has(d.id))?.id;
    if (!newId) await sleep(500, deadline);
  }
  if (!newId) {
    return {
      service: target.service,
      toDeploymentId: toId,
      ok: false,
      detail: lostAnswer
        ? `the rollback request got no clear answer (${lostAnswer}) and no rollback deployment appeared before the timeout: check the service in Railway`
        : "Railway accepted the rollback but no new deployment appeared before the timeout",
    };
  }
  const rollbackId = newId;
  const statuses = await api.watchDeployments([rollbackId], {
    signal: deadline,
    isDone: (d) => TERMINAL_STATUSES.has(d.status),
    onChange: (d) =>
      ctx.emit({ kind: "deployment", service: target.service, deploymentId: rollbackId, status: d.status }),
  });
  const status = statuses.get(rollbackId)?.status;
  if (status !== "SUCCESS" && ctx.signal?.aborted) {
    return {
      service: target.service,
      toDeploymentId: toId,
      newDeploymentId: rollbackId,
      ok: false,
      detail: `rollback deployment ${rollbackId} is ${status ?? "starting"}; not waited for (the run was interrupted)`,
    };
  }
  if (status !== "SUCCESS") {
    return {
      service: target.service,
      toDeploymentId: toId,
      newDeploymentId: rollbackId,
      ok: false,
      detail: `the rollback deployment ended ${status ?? "unfinished"}`,
    };
  }
  if (ctx.stabilityMs && ctx.stabilityMs > 0) {
    const window = ctx.signal
      ? AbortSignal.any([AbortSignal.timeout(ctx.stabilityMs), ctx.signal])
      : AbortSignal.timeout(ctx.stabilityMs);
    const after = await api
      .watchDeployments([rollbackId], { signal: window, isDone: (d) => d.status !== "SUCCESS" })
      .then((m) => m.get(rollbackId)?.status)
      .catch(() => undefined);
    const loop =
      after && after !== "SUCCESS"
        ? undefined
        : await instanceRestarts(api, ctx.environmentId, target.serviceId, rollbackId, {
            expectsExit: target.expectsExit,
          });
    if ((after && after !== "SUCCESS") || (loop && loop.restarts > 0)) {
      return {
        service: target.service,
        toDeploymentId: toId,
        newDeploymentId: rollbackId,
        ok: false,
        detail:
          after && after !== "SUCCESS"
            ? `the rollback deployment reached SUCCESS, then ${after} within the ${Math.round(ctx.stabilityMs / 1000)}-second stability window`
            : `the rollback deployment reached SUCCESS, but its instance ${loop?.statuses.join("/")} ${loop?.restarts} time${loop?.restarts === 1 ? "" : "s"} within the ${Math.round(ctx.stabilityMs / 1000)}-second stability window: a crash loop`,
      };
    }
  }
  const verified = ctx.verifyHttp
    ? await verifyServing(target)
    : {
        ok: true,
        detail: `back on ${target.previousCommit?.slice(0, 7) ?? toId} (SUCCESS)`,
      };
  return {
    service: target.service,
    toDeploymentId: toId,
    newDeploymentId: rollbackId,
    ok: verified.ok,
    detail: verified.detail,
  };
}

/**
 * An interrupted run has seconds, not minutes: ask Railway for each rollback and report it as
 * requested, without waiting for it to finish.
 */
export async function requestRollbacks(
  api: RailwayApi,
  targets: RollbackTarget[],
  ctx: { projectId: string; environmentId: string },
): Promise<RollbackRecord[]> {
  const exclude = new Set(targets.map((target) => target.failedDeploymentId));
  return Promise.all(
    targets.map(async (target): Promise<RollbackRecord> => {
      try {
        const chosen = await chooseTarget(api, target, { ...ctx, exclude });
        if (!chosen.id) return { service: target.service, ok: false, detail: chosen.why ?? "no target" };
        try {
          await api.rollback(chosen.id);
        } catch (error) {
          if (!(error instanceof RailwayNetworkError && error.ambiguous)) throw error;
          return {
            service: target.service,
            toDeploymentId: chosen.id,
            ok: false,
            detail: `rollback to ${chosen.commit?.slice(0, 7) ?? chosen.id} requested but Railway's answer was lost; not waited for (the run was interrupted): check the service in Railway`,
          };
        }
        return {
          service: target.service,
          toDeploymentId: chosen.id,
          ok: false,
          detail: `rollback to ${chosen.commit?.slice(0, 7) ?? chosen.id} requested; not waited for (the run was interrupted)`,
        };
      } catch (error) {
        return { service: target.service, ok: false, detail: `rollback failed: ${(error as Error).message}` };
      }
    }),
  );
}

async function verifyServing(target: RollbackTarget): Promise<{ ok: boolean; detail: string }> {
  const short = target.previousCommit?.slice(0, 7) ?? target.previousDeploymentId?.slice(0, 8);
  if (!target.url || !target.smoke) return { ok: true, detail: `back on ${short} (SUCCESS)` };
  const deadline = Date.now() + 60_000;
  const checks =
    target.smoke.role === "api"
      ? await runSmokeTests({
          deadline,
          api: {
            url: target.url,
            versionPath: target.smoke.versionPath,
            healthPath: target.smoke.healthPath,
            expectedCommit: target.previousCommit,
          },
        })
      : await runSmokeTests({
          deadline,
          frontend: {
            url: target.url,
            buildInfoPath: target.smoke.buildInfoPath,
            expectedCommit: target.previousCommit,
          },
        });
  const bad = checks.find((check) => !check.ok);
  return bad
    ? { ok: false, detail: `rolled back to ${short}, but ${bad.name}: ${bad.detail}` }
    : { ok: true, detail: `back on ${short}, serving again (${checks.map((c) => c.name).join(", ")})` };
}
