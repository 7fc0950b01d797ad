// Live state: the environment as Railway has it. One request reads the environment config, its
// etag and every service instance's latest deployment and domains; the services whose latest
// deployment is not the one serving cost one more, together (their recent deployments).
import type {
  DeploymentInfo,
  EnvironmentState,
  LiveInstance,
  RailwayApi,
  ServiceInstanceInfo,
} from "../railway/types.ts";

export interface LiveState {
  environment: EnvironmentState;
  /** By service id; a service with no instance in the environment has none. */
  instances: Map<string, LiveInstance>;
  /** The deployment serving now (newest SUCCESS or sleeping one), by service id. */
  serving: Map<string, DeploymentInfo | undefined>;
}

const HEALTHY = new Set(["SUCCESS", "SLEEPING"]);

export async function readLiveState(
  api: RailwayApi,
  projectId: string,
  environmentId: string,
  serviceIds: string[],
): Promise<LiveState> {
  const environment = await api.environmentState(environmentId);
  const instances = new Map(environment.instances.map((instance) => [instance.serviceId, instance]));
  const serving = new Map<string, DeploymentInfo | undefined>();
  const unsure: string[] = [];
  for (const serviceId of serviceIds) {
    const latest = instances.get(serviceId)?.latestDeployment;
    if (!latest) serving.set(serviceId, undefined);
    else if (HEALTHY.has(latest.status)) serving.set(serviceId, latest);
    else unsure.push(serviceId);
  }
  // The latest deployment is not serving (failed, building): the newest healthy one of the recent
  // ones is, read for all such services at once where the API batches.
  if (unsure.length > 0) {
    const recent = api.recentDeploymentsMany
      ? await api.recentDeploymentsMany(projectId, environmentId, unsure, 20)
      : new Map(
          await Promise.all(
            unsure.map(
              async (serviceId) =>
                [serviceId, await api.deployments(projectId, environmentId, serviceId, 20)] as const,
            ),
          ),
        );
    for (const serviceId of unsure)
      serving.set(
        serviceId,
        recent.get(serviceId)?.find((deployment) => HEALTHY.has(deployment.status)),
      );
  }
  return { environment, instances, serving };
}

/** A live instance, or an empty one for a service Railway has no instance of here. */
export function instanceOf(live: LiveState, serviceId: string): LiveInstance {
  return (
    live.instances.get(serviceId) ?? {
      serviceId,
      source: null,
      latestDeployment: null,
      domains: { serviceDomains: [], customDomains: [] } satisfies ServiceInstanceInfo["domains"],
    }
  );
}
