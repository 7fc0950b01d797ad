// Apply: the one place that writes settings. The change set goes to Railway in one atomic
// environmentApplyChangeSet against the etag it was planned on; when the environment changed
// in between, the run re-reads, re-plans once, and stops plainly if it changes again.
// docs/decisions/0105-environment-change-sets.md
import type { Change, ChangeSetApplyResult } from "../railway/environment-config.ts";
import { RailwayConflictError } from "../railway/errors.ts";
import type { RailwayApi } from "../railway/types.ts";
import { changeSetOf, type EnvironmentPlan, inverseChanges, type ServiceChanges } from "./changeset.ts";
import { PipelineError } from "./types.ts";

export interface ApplyOutcome {
  /** The changes Railway applied (empty when there was nothing to apply). */
  applied: Change[];
  /** The services whose settings, variables or domains changed (names). */
  services: string[];
  /** Services whose stale "Railway Config File" was cleared. */
  clearedConfigFiles: string[];
  /** Railway's change-set apply, when one was sent. */
  result?: ChangeSetApplyResult;
  notes: string[];
  /** address → service id, to invert the changes later. */
  addresses: Map<string, string>;
}

/**
 * Applies the plan of the given services. `replan` re-reads the environment and plans the same
 * services again (after a conflict, or after clearing config files, which changes the etag).
 */
export async function applyChanges(
  api: RailwayApi,
  environmentId: string,
  plan: EnvironmentPlan,
  replan: () => Promise<EnvironmentPlan>,
  signal?: AbortSignal,
): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = {
    applied: [],
    services: [],
    clearedConfigFiles: [],
    notes: [],
    addresses: new Map(plan.services.map((s) => [`service.${s.service}`, s.serviceId])),
  };
  // The one field that goes through serviceInstanceUpdate: the config-file path is not part of
  // the change-set model, and Railway's IaC will not manage a service that has a stale one.
  const withFile = plan.services.filter((s) => s.configFile !== undefined);
  for (const service of withFile) {
    await api.updateServiceInstance(service.serviceId, environmentId, {
      railwayConfigFile: service.configFile,
    });
    outcome.clearedConfigFiles.push(service.service);
  }
  let current = withFile.length > 0 ? await replan() : plan;
  for (let attempt = 1; ; attempt++) {
    const changeSet = changeSetOf(current.services);
    if (changeSet.changes.length === 0) break;
    try {
      const result = await api.applyChangeSet(environmentId, changeSet, {
        baseConfigEtag: current.configEtag,
        signal,
      });
      outcome.result = result;
      const failed = result.changes.filter((c) => /fail|error/i.test(c.status));
      if (/fail|error/i.test(result.status) || failed.length > 0) {
        throw new PipelineError(
          `Railway did not apply the settings (change set ${result.id} ${result.status}${failed.length > 0 ? `: ${failed.map((c) => c.summary ?? c.path ?? c.kind).join("; ")}` : ""}); nothing was deployed`,
        );
      }
      outcome.applied = changeSet.changes;
      outcome.services = changedServices(current.services);
      if (result.deploymentId) {
        outcome.notes.push(
          `Railway started deployment ${result.deploymentId} while applying the settings; this run's own deployments follow`,
        );
      }
      break;
    } catch (error) {
      if (!(error instanceof RailwayConflictError)) throw error;
      if (attempt >= 2) {
        throw new PipelineError(
          "the environment's config changed again while this run applied its settings (someone else is changing it: another run or the dashboard); nothing was deployed. Run again once the other change is done",
        );
      }
      outcome.notes.push(
        "the environment's config changed after this run read it: re-read it and planned the settings again",
      );
      current = await replan();
    }
  }
  return outcome;
}

function changedServices(services: ServiceChanges[]): string[] {
  return services.filter((s) => s.changes.length > 0).map((s) => s.service);
}

export interface RestoreOutcome {
  ok: boolean;
  detail: string;
}

/** Puts back the settings this run changed (the inverse change set), or says plainly why not. */
export async function restoreSettings(
  api: RailwayApi,
  environmentId: string,
  outcome: ApplyOutcome,
): Promise<RestoreOutcome | undefined> {
  const cleared = outcome.clearedConfigFiles.length
    ? ` (the Railway Config File of ${outcome.clearedConfigFiles.join(", ")} stays as this run set it)`
    : "";
  if (outcome.applied.length === 0) {
    return cleared ? { ok: true, detail: `no settings to restore${cleared}` } : undefined;
  }
  try {
    const live = await api.environmentState(environmentId);
    const inverse = inverseChanges(outcome.applied, live.config, outcome.addresses);
    if (inverse.changes.length > 0) {
      await api.applyChangeSet(
        environmentId,
        { version: 1, changes: inverse.changes },
        { baseConfigEtag: live.configEtag, commitMessage: "Railyard: restore the settings of a failed run" },
      );
    }
    const skipped = inverse.skipped.length ? `; not restored: ${inverse.skipped.join("; ")}` : "";
    return {
      ok: inverse.skipped.length === 0,
      detail: `restored the settings of ${outcome.services.join(", ")}${skipped}${cleared}`,
    };
  } catch (error) {
    return {
      ok: false,
      detail: `did not restore the settings of ${outcome.services.join(", ")}: ${(error as Error).message}`,
    };
  }
}
