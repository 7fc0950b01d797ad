// The effective settings of one service in one environment: the pure function the
// pipeline applies through serviceInstanceUpdate.

import { isTable, layers, mergeLayers } from "./model.ts";
import type { ServiceConfig, ServiceSettings } from "./types.ts";

export interface ResolvableConfig {
  files: { path: string; rootDirectory: string; data: unknown }[];
  services: ServiceConfig[];
}

/** Thrown when asked for a service no config file defines (a caller's mistake, not bad input). */
export class UnknownServiceError extends Error {
  constructor(readonly serviceName: string) {
    super(`no railway.toml defines a service named \`${serviceName}\``);
    this.name = "UnknownServiceError";
  }
}

const stringFields = [
  "buildCommand",
  "dockerfilePath",
  "startCommand",
  "region",
  "healthcheckPath",
  "cronSchedule",
] as const;
const integerFields = [
  "numReplicas",
  "healthcheckTimeout",
  "restartPolicyMaxRetries",
  "overlapSeconds",
  "drainingSeconds",
] as const;
const booleanFields = ["sleepApplication", "ipv6EgressEnabled"] as const;
const builders = ["RAILPACK", "DOCKERFILE", "NIXPACKS", "HEROKU", "PAKETO"] as const;
const restartPolicies = ["ON_FAILURE", "ALWAYS", "NEVER"] as const;

function enumValue<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  if (typeof value !== "string") return undefined;
  const upper = value.toUpperCase();
  return allowed.find((candidate) => candidate === upper);
}

/**
 * Settings for `serviceName` in `environmentName`, in the shape of Railway's
 * ServiceInstanceUpdateInput: file [build]/[deploy] → [services.<name>] →
 * [environments.<env>] → [services.<name>.environments.<env>]. Keys the files do not set
 * are absent (never undefined); JSON nulls stay null (they clear a setting).
 */
export function resolveServiceSettings(
  config: ResolvableConfig,
  serviceName: string,
  environmentName: string,
): ServiceSettings {
  const service = config.services.find((candidate) => candidate.name === serviceName);
  if (service === undefined) throw new UnknownServiceError(serviceName);
  const file = config.files.find((candidate) => candidate.path === service.file);
  const data = file?.data;
  const merged = mergeLayers([
    ...layers(data, serviceName, environmentName, "build"),
    ...layers(data, serviceName, environmentName, "deploy"),
  ]);
  const get = (key: string) => merged.get(key)?.value;
  const has = (key: string) => merged.has(key);

  const settings: ServiceSettings = {};
  const builder = enumValue(get("builder"), builders);
  if (builder !== undefined) settings.builder = builder;
  if (has("watchPatterns")) {
    const patterns = get("watchPatterns");
    settings.watchPatterns = Array.isArray(patterns)
      ? patterns.filter((p): p is string => typeof p === "string")
      : [];
  }
  if (has("nixpacksPlan")) settings.nixpacksPlan = get("nixpacksPlan");
  for (const key of stringFields) {
    const value = get(key);
    if (typeof value === "string" || value === null) settings[key] = value;
  }
  for (const key of integerFields) {
    const value = get(key);
    if (typeof value === "number" || value === null) settings[key] = value;
  }
  for (const key of booleanFields) {
    const value = get(key);
    if (typeof value === "boolean" || value === null) settings[key] = value;
  }
  const preDeploy = get("preDeployCommand");
  if (typeof preDeploy === "string") settings.preDeployCommand = [preDeploy];
  else if (Array.isArray(preDeploy))
    settings.preDeployCommand = preDeploy.filter((c): c is string => typeof c === "string");
  else if (preDeploy === null) settings.preDeployCommand = null;
  const restart = enumValue(get("restartPolicyType"), restartPolicies);
  if (restart !== undefined) settings.restartPolicyType = restart;
  const regions = get("multiRegionConfig");
  if (isTable(regions) || regions === null)
    settings.multiRegionConfig = regions as ServiceSettings["multiRegionConfig"];
  const credentials = get("registryCredentials");
  if (credentials === null) settings.registryCredentials = null;
  else if (
    isTable(credentials) &&
    typeof credentials.username === "string" &&
    typeof credentials.password === "string"
  ) {
    settings.registryCredentials = { username: credentials.username, password: credentials.password };
  }
  // A [services] table's services are rooted at the file's folder (decision 0001). A plain
  // file's service keeps its live root directory, which is often the repository root even for
  // a file in a sub-folder (decision 0110).
  if (service.plainFile === undefined) settings.rootDirectory = service.rootDirectory;
  return settings;
}
