// The emulator's own types for what Railway keeps: a service instance's settings and a
// deployment's status. They are written from Railway's schema and the environment config the
// official CLI reads, never imported from the action: a mistake in the client's model must be
// caught by the emulator, not agreed to. railway-types.test.ts checks every field name, GraphQL
// type and enum value here against Railway's schema (test/data/railway/schema.json) and against
// the emulator's SDL.

/** `DeploymentStatus`, as Railway's schema lists it. */
export const DEPLOYMENT_STATUSES = [
  "BUILDING",
  "CRASHED",
  "DEPLOYING",
  "FAILED",
  "INITIALIZING",
  "NEEDS_APPROVAL",
  "QUEUED",
  "REMOVED",
  "REMOVING",
  "SKIPPED",
  "SLEEPING",
  "SUCCESS",
  "WAITING",
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** `DeploymentInstanceStatus`: one run of a deployment's instance (an execution). */
export const DEPLOYMENT_INSTANCE_STATUSES = [
  "CRASHED",
  "CREATED",
  "EXITED",
  "INITIALIZING",
  "REMOVED",
  "REMOVING",
  "RESTARTING",
  "RUNNING",
  "SKIPPED",
  "STOPPED",
] as const;
export type DeploymentInstanceStatus = (typeof DEPLOYMENT_INSTANCE_STATUSES)[number];

/** `Builder` of ServiceInstanceUpdateInput: it has no DOCKERFILE. */
export const UPDATE_INPUT_BUILDERS = ["HEROKU", "NIXPACKS", "PAKETO", "RAILPACK"] as const;
/** The builders the environment config takes: the `Builder` enum plus DOCKERFILE. */
export const CONFIG_BUILDERS = [...UPDATE_INPUT_BUILDERS, "DOCKERFILE"] as const;
export type ConfigBuilder = (typeof CONFIG_BUILDERS)[number];

/** `RestartPolicyType`. */
export const RESTART_POLICY_TYPES = ["ALWAYS", "NEVER", "ON_FAILURE"] as const;
export type RestartPolicyType = (typeof RESTART_POLICY_TYPES)[number];

/**
 * The ServiceInstanceUpdateInput fields the emulator stores per instance, each with its GraphQL
 * input type exactly as Railway's schema declares it (nullable: every one may be null).
 */
export const INSTANCE_UPDATE_FIELDS = {
  buildCommand: "String",
  builder: "Builder",
  cronSchedule: "String",
  dockerfilePath: "String",
  drainingSeconds: "Int",
  healthcheckPath: "String",
  healthcheckTimeout: "Int",
  ipv6EgressEnabled: "Boolean",
  multiRegionConfig: "JSON",
  nixpacksPlan: "JSON",
  numReplicas: "Int",
  overlapSeconds: "Int",
  preDeployCommand: "[String!]",
  railwayConfigFile: "String",
  region: "String",
  registryCredentials: "RegistryCredentialsInput",
  restartPolicyMaxRetries: "Int",
  restartPolicyType: "RestartPolicyType",
  rootDirectory: "String",
  sleepApplication: "Boolean",
  startCommand: "String",
  watchPatterns: "[String!]",
} as const;

/**
 * Settings only the environment config carries (its `build` / `deploy` sections, as the
 * official CLI reads them: railwayapp/cli src/controllers/config/environment.rs): no field of
 * ServiceInstanceUpdateInput sets them. The test checks none of them is one.
 */
export const CONFIG_ONLY_FIELDS = {
  nixpacksConfigPath: "String",
  nixpacksVersion: "String",
  railpackVersion: "String",
  limitOverride: "JSON",
  requiredMountPath: "String",
} as const;

type TsOf<G> = G extends "String"
  ? string
  : G extends "Int"
    ? number
    : G extends "Boolean"
      ? boolean
      : G extends "[String!]"
        ? string[]
        : G extends "Builder"
          ? ConfigBuilder
          : G extends "RestartPolicyType"
            ? RestartPolicyType
            : G extends "RegistryCredentialsInput"
              ? { username: string; password: string }
              : G extends "JSON"
                ? unknown
                : never;

/**
 * One service instance's settings as the emulator keeps them: ServiceInstanceUpdateInput's
 * fields (with DOCKERFILE allowed as builder, as the environment config allows) and the
 * config-only ones. `multiRegionConfig` is typed by its shape in the environment config.
 */
export type InstanceSettings = {
  -readonly [K in Exclude<keyof typeof INSTANCE_UPDATE_FIELDS, "multiRegionConfig">]?: TsOf<
    (typeof INSTANCE_UPDATE_FIELDS)[K]
  > | null;
} & {
  -readonly [K in keyof typeof CONFIG_ONLY_FIELDS]?: TsOf<(typeof CONFIG_ONLY_FIELDS)[K]> | null;
} & {
  multiRegionConfig?: Record<string, { numReplicas?: number } | null> | null;
};
