// Live state: the environment as Railway has it. One request reads the environment config, its
// etag and every service instance's latest deployment and domains; only a service whose latest
// deployment is not the one serving costs one more (its recent deployments).
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
  await Promise.all(
    serviceIds.map(async (serviceId) => {
      serving.set(
        serviceId,
        await servingDeployment(api, projectId, environmentId, instances.get(serviceId)),
      );
    }),
  );
  return { environment, instances, serving };
}

/** The deployment serving now: the newest SUCCESS (or sleeping) one. */
async function servingDeployment(
  api: RailwayApi,
  projectId: string,
  environmentId: string,
  instance: LiveInstance | undefined,
): Promise<DeploymentInfo | undefined> {
  const latest = instance?.latestDeployment;
  if (!instance || !latest) return undefined;
  if (HEALTHY.has(latest.status)) return latest;
  const recent = await api.deployments(projectId, environmentId, instance.serviceId, 20);
  return recent.find((deployment) => HEALTHY.has(deployment.status));
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
