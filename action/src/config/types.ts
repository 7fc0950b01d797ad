// The config model shared by the validator, the settings resolver and the pipeline.
// A railway.toml file is Railway's Config-as-Code (build/deploy/environments) plus
// Railyard's extension tables (variables, services). See docs/decisions/0001-config-format.md.

import type { ServiceDomains, ServiceSource } from "./declare.ts";

/** Railway's ServiceInstanceUpdateInput, limited to what a config file can declare. */
export interface ServiceSettings {
  builder?: "RAILPACK" | "DOCKERFILE" | "NIXPACKS" | "HEROKU" | "PAKETO";
  buildCommand?: string | null;
  dockerfilePath?: string | null;
  watchPatterns?: string[];
  rootDirectory?: string | null;
  railwayConfigFile?: string | null;
  nixpacksPlan?: unknown;
  startCommand?: string | null;
  preDeployCommand?: string[] | null;
  numReplicas?: number | null;
  multiRegionConfig?: Record<string, { numReplicas: number } | null> | null;
  region?: string | null;
  healthcheckPath?: string | null;
  healthcheckTimeout?: number | null;
  restartPolicyType?: "ON_FAILURE" | "ALWAYS" | "NEVER";
  restartPolicyMaxRetries?: number | null;
  cronSchedule?: string | null;
  sleepApplication?: boolean | null;
  overlapSeconds?: number | null;
  drainingSeconds?: number | null;
  ipv6EgressEnabled?: boolean | null;
  /** Private registry login; the password should be a Railway variable reference. */
  registryCredentials?: { username: string; password: string } | null;
}

/** Where a finding or a declaration sits in a file (1-based line and column). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

export type SmokeRole =
  | { role: "api"; versionPath: string; healthPath?: string }
  | { role: "frontend"; buildInfoPath: string; apiUrlVariable: string };

/** One Railway service as a config file declares it, after parsing and validation. */
export interface ServiceConfig {
  /** The Railway service name (the key under [services]). */
  name: string;
  /** Repo-relative path of the file that declares it, e.g. "backend/railway.toml". */
  file: string;
  /** Absolute repo path of the service's root directory, e.g. "/backend" (the file's folder). */
  rootDirectory: string;
  /** Variable names that must exist and render non-empty, each with the line requiring it. */
  requiredVariables: { name: string; location: SourceLocation }[];
  /** Fixed, non-secret variables the pipeline sets (e.g. CONTAINER_ROLE). */
  fixedVariables: Record<string, string>;
  dependsOn: string[];
  smoke?: SmokeRole;
  /**
   * Set for a plain Config-as-Code file (no [services] table) linked to this service by
   * Railway's "Railway Config File" setting or the service-configs mapping. Such a service
   * keeps its live root directory (Railway reads dockerfilePath from it), and Railyard
   * remembers the link in its RAILYARD_CONFIG_FILE variable (decision 0110).
   */
  plainFile?: {
    via: "service-configs" | "railway-config-file" | "railyard-variable";
    liveRootDirectory?: string;
  };
  /** Where Railway takes the service from when Railyard creates it (declare.ts). */
  source?: ServiceSource;
  /** The Railway-generated and custom domains the service should have. */
  domains?: ServiceDomains;
  /** Secrets Railway generates once when missing: variable name → generator (`secret(32)`). */
  generatedVariables?: Record<string, string>;
  location: SourceLocation;
}

export interface Finding {
  severity: "error" | "warning";
  /** Stable machine code, e.g. "unknown-key", "toml-syntax", "bad-cron". */
  code: string;
  message: string;
  suggestion?: string;
  location: SourceLocation;
}
