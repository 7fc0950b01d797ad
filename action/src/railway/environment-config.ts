// Railway's environment config (`Environment.config`, scalar EnvironmentConfig) and the change
// sets that write it (`environmentPreviewChangeSet`, `environmentApplyChangeSet`). The shapes
// follow what Railway's official CLI reads and sends (railwayapp/cli,
// src/controllers/config/environment.rs and src/iac/change_set.rs); see
// docs/decisions/0105-environment-change-sets.md.

/** A variable in the config. Read without decryptVariables, every value is null (masked). */
export interface ConfigVariable {
  value?: string | null;
}

export interface ServiceSourceConfig {
  repo?: string | null;
  image?: string | null;
  branch?: string | null;
  rootDirectory?: string | null;
  checkSuites?: boolean | null;
}

export type ConfigBuilder = "RAILPACK" | "DOCKERFILE" | "NIXPACKS" | "HEROKU" | "PAKETO";

export interface BuildConfig {
  builder?: ConfigBuilder | null;
  buildCommand?: string | null;
  dockerfilePath?: string | null;
  watchPatterns?: string[] | null;
  nixpacksPlan?: unknown;
  nixpacksConfigPath?: string | null;
  nixpacksVersion?: string | null;
  railpackVersion?: string | null;
}

export interface DeployConfig {
  startCommand?: string | null;
  preDeployCommand?: string[] | null;
  healthcheckPath?: string | null;
  healthcheckTimeout?: number | null;
  numReplicas?: number | null;
  multiRegionConfig?: Record<string, { numReplicas?: number | null } | null> | null;
  cronSchedule?: string | null;
  restartPolicyType?: "ON_FAILURE" | "ALWAYS" | "NEVER" | null;
  restartPolicyMaxRetries?: number | null;
  sleepApplication?: boolean | null;
  /** Write-only on Railway: read back as MASKED_CREDENTIAL for both fields. */
  registryCredentials?: { username?: string | null; password?: string | null } | null;
  limitOverride?: { containers?: { cpu?: number | null; memoryBytes?: number | null } | null } | null;
  requiredMountPath?: string | null;
  overlapSeconds?: number | null;
  drainingSeconds?: number | null;
  ipv6EgressEnabled?: boolean | null;
}

export interface NetworkingConfig {
  serviceDomains?: Record<string, { port?: number | null } | null>;
  customDomains?: Record<string, { port?: number | null } | null>;
}

export interface ServiceEntry {
  source?: ServiceSourceConfig | null;
  build?: BuildConfig | null;
  deploy?: DeployConfig | null;
  variables?: Record<string, ConfigVariable | null>;
  networking?: NetworkingConfig | null;
  /** The legacy "Railway Config File" (railwayConfigFile). */
  configFile?: string | null;
}

export interface EnvironmentConfig {
  /** Keyed by service id. */
  services?: Record<string, ServiceEntry | null>;
  sharedVariables?: Record<string, ConfigVariable | null>;
  volumes?: Record<string, unknown>;
}

/** What Railway answers for registry credentials it stores (they are never readable). */
export const MASKED_CREDENTIAL = "*****";

/** The sections of a service entry that a `resource.update` change replaces as a whole. */
export type ServiceSection = "source" | "build" | "deploy";

interface ChangeBase {
  /** `service.<name>`, as Railway's IaC engine addresses resources. */
  address: string;
  path: string;
  summary: string;
  severity: "safe" | "destructive";
  /** "deploy": takes effect with the service's next deployment. */
  deployEffect: "deploy" | "none";
  details?: string[];
}

export interface ResourceUpdateChange extends ChangeBase {
  kind: "resource.update";
  field: ServiceSection;
  /** The section as it is live (may hold masked credentials). */
  before: Record<string, unknown> | null;
  /** The complete new section: live values kept, declared values changed. */
  after: Record<string, unknown>;
}

export interface VariableSetChange extends ChangeBase {
  kind: "variable.set";
  variable: string;
  /** A literal (references stay `${{ ... }}`), or a secret Railway generates once (`secret(32)`). */
  after: { type: "literal"; value: string } | GeneratedValue;
  before?: { type: "literal"; value: string } | { type: "preserve" };
}

/** A value Railway generates when the variable is created (Railway's template function `secret(N)`). */
export interface GeneratedValue {
  type: "raw";
  value: { generator: string };
}

export interface VariableDeleteChange extends ChangeBase {
  kind: "variable.delete";
  variable: string;
}

export interface DomainCreateChange extends ChangeBase {
  kind: "domain.create";
  domain: string;
  domainKind: "service" | "custom";
  port?: number;
}

export interface ResourceCreateChange extends ChangeBase {
  kind: "resource.create";
  resource: Record<string, unknown>;
}

export type Change =
  | ResourceUpdateChange
  | VariableSetChange
  | VariableDeleteChange
  | DomainCreateChange
  | ResourceCreateChange;

export interface ChangeSet {
  version: 1;
  changes: Change[];
}

export interface ChangeSetPreview {
  changeSet: ChangeSet;
  diagnostics: unknown[];
  effects: unknown[];
}

export interface ChangeSetApplyResult {
  id: string;
  /** "applying" while Railway works; anything else is final ("applied", "failed", ...). */
  status: string;
  deploymentId?: string | null;
  stagedPatchId?: string | null;
  diagnostics: unknown;
  changes: {
    kind: string;
    path?: string | null;
    summary?: string | null;
    status: string;
    outputs?: unknown;
  }[];
}

export function serviceAddress(name: string): string {
  return `service.${name}`;
}

/** True when the value is what Railway answers for stored registry credentials. */
export function isMaskedCredentials(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return v.username === MASKED_CREDENTIAL || v.password === MASKED_CREDENTIAL;
}

/** JSON with sorted keys and undefined members dropped: equal values give equal text. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortDeep(value));
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortDeep(v)]),
    );
  }
  return value;
}

/** `${{ shared.X }}` and `${{shared.X}}` are one reference: compare references without inner blanks. */
export function normalizeVariableValue(value: string): string {
  return value.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_m, ref: string) => {
    const dot = ref.lastIndexOf(".");
    if (dot === -1) return `\${{${ref.trim()}}}`;
    return `\${{${ref.slice(0, dot).trim()}.${ref.slice(dot + 1).trim()}}}`;
  });
}
