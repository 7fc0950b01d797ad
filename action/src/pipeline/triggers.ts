// Railway's own deploy triggers of the services this run deploys: a push autodeploy deploys
// the commit twice, and "Wait for CI" would wait for this very run (a deadlock).
import type { RailwayApi } from "../railway/types.ts";

export interface TriggerCheck {
  notes: string[];
  /** Services whose deployments wait for this commit's GitHub checks. */
  waitsForCi: Set<string>;
}

export async function checkTriggers(
  api: RailwayApi,
  projectId: string,
  environmentId: string,
  services: { name: string; serviceId: string; fromRepo: boolean }[],
  branch: string | undefined,
): Promise<TriggerCheck> {
  const check: TriggerCheck = { notes: [], waitsForCi: new Set() };
  const fromRepo = services.filter((service) => service.fromRepo);
  // One request for every service where the client can batch (aliased fields), else one each.
  const batched =
    fromRepo.length > 0 && api.deploymentTriggersMany
      ? await api.deploymentTriggersMany(
          projectId,
          environmentId,
          fromRepo.map((service) => service.serviceId),
        )
      : undefined;
  const found = await Promise.all(
    fromRepo.map(async (service) => ({
      service,
      triggers:
        batched?.get(service.serviceId) ??
        (await api.deploymentTriggers(projectId, environmentId, service.serviceId)),
    })),
  );
  for (const { service, triggers } of found) {
    for (const trigger of triggers) {
      if (branch && trigger.branch !== branch) continue;
      check.notes.push(
        `${service.name}: Railway also autodeploys ${trigger.repository}@${trigger.branch} on push, so this commit is deployed twice; turn off the trigger in Railway (Settings → Source) and let Railyard deploy`,
      );
      if (trigger.checkSuites) {
        check.waitsForCi.add(service.name);
        check.notes.push(
          `${service.name}: Railway's "Wait for CI" is on, so its deployments wait for this commit's GitHub checks, which include this run: the deployment may wait for this very check (deadlock)`,
        );
      }
    }
  }
  return check;
}
