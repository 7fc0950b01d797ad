// Desired state: what the railway.toml files declare for each service in the target
// environment, in the shape of Railway's environment config (one ServiceEntry per service:
// source, build, deploy, variables). Only declared fields are present: the diff compares
// those and leaves everything else as Railway has it.
import { resolveServiceSettings } from "../config/index.ts";
import { isTable, layers, mergeLayers } from "../config/model.ts";
import type { ServiceConfig, ServiceSettings } from "../config/types.ts";
import type { BuildConfig, DeployConfig, ServiceEntry } from "../railway/environment-config.ts";
import type { Target } from "./target.ts";

export interface DesiredService {
  config: ServiceConfig;
  serviceId: string;
  /** The resolved Config-as-Code settings (change detection reads watchPatterns here). */
  settings: ServiceSettings;
  /** The declared part of the service's environment config. */
  entry: ServiceEntry;
  /** Declared fields Railway's environment config has no place for: named in the plan, never applied. */
  unsupported: string[];
}

export interface DesiredState {
  environmentId: string;
  environmentName: string;
  services: DesiredService[];
}

interface ResolvableFiles {
  files: { path: string; rootDirectory: string; data: unknown }[];
  services: ServiceConfig[];
}

const BUILD_FIELDS = ["buildCommand", "dockerfilePath", "watchPatterns", "nixpacksPlan"] as const;
const DEPLOY_FIELDS = [
  "startCommand",
  "preDeployCommand",
  "healthcheckPath",
  "healthcheckTimeout",
  "numReplicas",
  "multiRegionConfig",
  "cronSchedule",
  "restartPolicyType",
  "restartPolicyMaxRetries",
  "sleepApplication",
  "registryCredentials",
  "overlapSeconds",
  "drainingSeconds",
  "ipv6EgressEnabled",
] as const;
/** Config-as-Code fields the resolver does not carry but the environment config does. */
const RAW_BUILD_FIELDS = ["railpackVersion", "nixpacksConfigPath", "nixpacksVersion"] as const;
const RAW_DEPLOY_FIELDS = ["limitOverride", "requiredMountPath"] as const;
/** Config-as-Code fields with no place in Railway's environment config (nor in any mutation). */
const UNSUPPORTED_DEPLOY_FIELDS = ["runtime", "preDeployTimeoutSeconds"] as const;

export function desiredState(config: ResolvableFiles, target: Target): DesiredState {
  const environmentName = target.environment.name;
  return {
    environmentId: target.environment.id,
    environmentName,
    services: target.services.map(({ config: service, railway }) => {
      const settings = resolveServiceSettings(config, service.name, environmentName);
      const data = config.files.find((file) => file.path === service.file)?.data;
      const raw = (section: "build" | "deploy") =>
        mergeLayers(layers(data, service.name, environmentName, section));
      const { entry, unsupported } = serviceEntry(service, settings, raw("build"), raw("deploy"));
      return { config: service, serviceId: railway.id, settings, entry, unsupported };
    }),
  };
}

type Merged = Map<string, { value: unknown; segments: string[] }>;

/** One service's declared environment-config entry. */
export function serviceEntry(
  service: Pick<ServiceConfig, "name" | "file" | "fixedVariables">,
  settings: ServiceSettings,
  rawBuild: Merged = new Map(),
  rawDeploy: Merged = new Map(),
): { entry: ServiceEntry; unsupported: string[] } {
  const build: Record<string, unknown> = {};
  const deploy: Record<string, unknown> = {};
  // The builder is always explicit: a Dockerfile path without a builder means DOCKERFILE.
  const builder = settings.builder ?? (settings.dockerfilePath ? "DOCKERFILE" : undefined);
  if (builder !== undefined) build.builder = builder;
  for (const key of BUILD_FIELDS) if (settings[key] !== undefined) build[key] = settings[key];
  for (const key of RAW_BUILD_FIELDS) {
    const value = rawBuild.get(key)?.value;
    if (typeof value === "string" || value === null) build[key] = value;
  }
  for (const key of DEPLOY_FIELDS) if (settings[key] !== undefined) deploy[key] = settings[key];
  for (const key of RAW_DEPLOY_FIELDS) {
    const value = rawDeploy.get(key)?.value;
    if (typeof value === "string" || value === null || isTable(value)) deploy[key] = value;
  }
  // The environment config places replicas per region: `region` becomes multiRegionConfig.
  if (typeof settings.region === "string" && settings.multiRegionConfig === undefined) {
    deploy.multiRegionConfig = { [settings.region]: { numReplicas: settings.numReplicas ?? 1 } };
    delete deploy.numReplicas;
  }
  const unsupported: string[] = [];
  for (const key of UNSUPPORTED_DEPLOY_FIELDS) {
    const found = rawDeploy.get(key);
    if (found) unsupported.push(`${found.segments.join(".")} (${service.file})`);
  }
  const entry: ServiceEntry = {};
  if (settings.rootDirectory !== undefined) entry.source = { rootDirectory: settings.rootDirectory };
  // A file Railway itself reads (a plain railway.toml linked to the service) stays its config file.
  if (settings.railwayConfigFile !== undefined) entry.configFile = settings.railwayConfigFile;
  if (Object.keys(build).length > 0) entry.build = build as BuildConfig;
  if (Object.keys(deploy).length > 0) entry.deploy = deploy as DeployConfig;
  const fixed = Object.entries(service.fixedVariables);
  if (fixed.length > 0) entry.variables = Object.fromEntries(fixed.map(([name, value]) => [name, { value }]));
  return { entry, unsupported };
}
