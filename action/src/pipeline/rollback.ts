// Stage 9: put back what served before this run, and check that it serves again.
import type { SmokeRole } from "../config/types.ts";
import { TERMINAL_STATUSES } from "../railway/deployment-info.ts";
import type { RailwayApi } from "../railway/types.ts";
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
  },
): Promise<RollbackRecord[]> {
  const deadline = AbortSignal.timeout(ctx.timeoutMs);
  return Promise.all(
    targets.map(async (target): Promise<RollbackRecord> => {
      if (!target.previousDeploymentId) {
        return {
          service: target.service,
          ok: false,
          detail: "no earlier successful deployment to roll back to (first deploy)",
        };
      }
      try {
        await api.cancel(target.failedDeploymentId).catch(() => undefined);
        const before = new Set(
          (await api.deployments(ctx.projectId, ctx.environmentId, target.serviceId, 10)).map((d) => d.id),
        );
        await api.rollback(target.previousDeploymentId);
        // deploymentRollback answers a Boolean: find the deployment it created.
        let newId: string | undefined;
        while (!newId && !deadline.aborted) {
          const recent = await api.deployments(ctx.projectId, ctx.environmentId, target.serviceId, 10);
          newId = recent.find((d) => !before.has(d.id))?.id;
          if (!newId) await new Promise((resolve) => setTimeout(resolve, 500));
        }
        if (!newId) {
          return {
            service: target.service,
            toDeploymentId: target.previousDeploymentId,
            ok: false,
            detail: "Railway accepted the rollback but no new deployment appeared before the timeout",
          };
        }
        const statuses = await api.watchDeployments([newId], {
          signal: deadline,
          isDone: (d) => TERMINAL_STATUSES.has(d.status),
          onChange: (d) =>
            ctx.emit({ kind: "deployment", service: target.service, deploymentId: newId, status: d.status }),
        });
        const status = statuses.get(newId)?.status;
        if (status !== "SUCCESS") {
          return {
            service: target.service,
            toDeploymentId: target.previousDeploymentId,
            newDeploymentId: newId,
            ok: false,
            detail: `the rollback deployment ended ${status ?? "unfinished"}`,
          };
        }
        const verified = ctx.verifyHttp
          ? await verifyServing(target)
          : {
              ok: true,
              detail: `back on ${target.previousCommit?.slice(0, 7) ?? target.previousDeploymentId} (SUCCESS)`,
            };
        return {
          service: target.service,
          toDeploymentId: target.previousDeploymentId,
          newDeploymentId: newId,
          ok: verified.ok,
          detail: verified.detail,
        };
      } catch (error) {
        return {
          service: target.service,
          toDeploymentId: target.previousDeploymentId,
          ok: false,
          detail: `rollback failed: ${(error as Error).message}`,
        };
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
