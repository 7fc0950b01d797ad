// The change set: a pure diff of the desired environment config (the files) against the live
// one (Railway). Settings, variables and domains land in one table of rows and one change set
// in Railway's own format, so the same value can be printed, previewed, applied and inverted.
import {
  type Change,
  type ChangeSet,
  type ConfigVariable,
  type EnvironmentConfig,
  isMaskedCredentials,
  MASKED_CREDENTIAL,
  normalizeVariableValue,
  type ServiceEntry,
  type ServiceSection,
  serviceAddress,
  stableStringify,
} from "../railway/environment-config.ts";
import type { DesiredService } from "./desired.ts";
import type { SettingChange } from "./types.ts";

/** Shown instead of a value Railway does not let anyone read back. */
export const HIDDEN = "«hidden»";
export const WRITE_ONLY = "«write-only»";

export interface ServiceChanges {
  service: string;
  serviceId: string;
  rows: SettingChange[];
  changes: Change[];
  /** The "Railway Config File" to write before the change set: "" clears a stale one. */
  configFile?: string;
  unsupported: string[];
  /** Notes about fields compared only in part (write-only values). */
  notes: string[];
}

export interface EnvironmentPlan {
  /** The etag of the live config this plan was computed against. */
  configEtag: string;
  services: ServiceChanges[];
}

const SECTIONS: ServiceSection[] = ["source", "build", "deploy"];

/** Plans every desired service against the live config. */
export function diffEnvironment(
  desired: DesiredService[],
  live: EnvironmentConfig,
  configEtag: string,
): EnvironmentPlan {
  return {
    configEtag,
    services: desired.map((service) =>
      diffService(
        service.config.name,
        service.serviceId,
        service.entry,
        live.services?.[service.serviceId] ?? {},
        service.unsupported,
      ),
    ),
  };
}

export function diffService(
  name: string,
  serviceId: string,
  wanted: ServiceEntry,
  live: ServiceEntry,
  unsupported: string[] = [],
): ServiceChanges {
  const address = serviceAddress(name);
  const out: ServiceChanges = { service: name, serviceId, rows: [], changes: [], unsupported, notes: [] };
  for (const section of SECTIONS) {
    const want = (wanted[section] ?? undefined) as Record<string, unknown> | undefined;
    if (!want) continue;
    const have = (live[section] ?? {}) as Record<string, unknown>;
    const changed: string[] = [];
    for (const [key, value] of Object.entries(want)) {
      if (value === undefined) continue;
      if (section === "deploy" && key === "registryCredentials") {
        const current = have[key];
        if (isMaskedCredentials(current) && value !== null) {
          out.notes.push(
            `${name}: registryCredentials are write-only on Railway, so only their presence is compared`,
          );
          continue;
        }
        if (sameValue(section, key, value, current ?? null)) continue;
        changed.push(key);
        out.rows.push({
          field: `${section}.${key}`,
          live: current ? WRITE_ONLY : null,
          wanted: value === null ? null : WRITE_ONLY,
          kind: "setting",
          severity: value === null ? "destructive" : "safe",
        });
        continue;
      }
      if (sameValue(section, key, value, have[key])) continue;
      changed.push(key);
      out.rows.push({
        field: `${section}.${key}`,
        live: have[key] ?? null,
        wanted: value,
        kind: "setting",
        severity: "safe",
      });
    }
    if (changed.length === 0) continue;
    // The complete section: what Railway has, with every declared value on top.
    const after: Record<string, unknown> = { ...have };
    for (const [key, value] of Object.entries(want)) {
      if (value === undefined) continue;
      if (key === "registryCredentials" && isMaskedCredentials(have[key]) && value !== null) continue;
      after[key] = value;
    }
    out.changes.push({
      kind: "resource.update",
      address,
      field: section,
      before: live[section] ? { ...(live[section] as Record<string, unknown>) } : null,
      after,
      path: `resources.${address}.${section}`,
      summary: `Update ${name} ${section} (${changed.join(", ")})`,
      details: changed.map((key) => `${section}.${key}`),
      severity: "safe",
      deployEffect: "deploy",
    });
  }

  for (const [variable, want] of Object.entries(wanted.variables ?? {})) {
    const value = want?.value;
    if (typeof value !== "string") continue;
    const current: ConfigVariable | null | undefined = live.variables?.[variable];
    const exists = current !== undefined && current !== null;
    const known = exists && typeof current.value === "string";
    if (known && normalizeVariableValue(current.value as string) === normalizeVariableValue(value)) continue;
    out.rows.push({
      field: `variables.${variable}`,
      live: !exists ? null : known ? current.value : HIDDEN,
      wanted: value,
      kind: "variable",
      severity: "safe",
      ...(exists && !known ? { unverified: true } : {}),
    });
    out.changes.push({
      kind: "variable.set",
      address,
      variable,
      after: { type: "literal", value },
      ...(exists
        ? { before: known ? { type: "literal", value: current.value as string } : { type: "preserve" } }
        : {}),
      path: `resources.${address}.variables.${variable}`,
      summary: `${exists ? "Update" : "Set"} variable ${name}.${variable}`,
      severity: "safe",
      deployEffect: "deploy",
    });
  }

  for (const kind of ["serviceDomains", "customDomains"] as const) {
    for (const [domain, options] of Object.entries(wanted.networking?.[kind] ?? {})) {
      if (live.networking?.[kind]?.[domain] !== undefined) continue;
      out.rows.push({
        field: `domains.${domain}`,
        live: null,
        wanted: domain,
        kind: "domain",
        severity: "safe",
      });
      out.changes.push({
        kind: "domain.create",
        address,
        domain,
        domainKind: kind === "serviceDomains" ? "service" : "custom",
        ...(typeof options?.port === "number" ? { port: options.port } : {}),
        path: `resources.${address}.networking.${kind}.${domain}`,
        summary: `Create ${kind === "serviceDomains" ? "Railway" : "custom"} domain ${domain} for ${name}`,
        severity: "safe",
        deployEffect: "none",
      });
    }
  }

  // A service configured by a [services] table has no config file of its own: a path left
  // there claims a source of truth that is not applied (and Railway's own IaC refuses to manage
  // such a service), so it is cleared. A plain file linked to the service stays (or moves).
  const liveFile = typeof live.configFile === "string" && live.configFile !== "" ? live.configFile : null;
  const wantedFile = wanted.configFile === undefined || wanted.configFile === "" ? null : wanted.configFile;
  if (liveFile !== wantedFile) {
    out.configFile = wantedFile ?? "";
    out.rows.push({
      field: "configFile",
      live: liveFile,
      wanted: wantedFile ?? "",
      kind: "setting",
      severity: "safe",
    });
  }
  return out;
}

/** One change set from the changes of the given services. */
export function changeSetOf(services: ServiceChanges[]): ChangeSet {
  return { version: 1, changes: services.flatMap((s) => s.changes) };
}

/**
 * Keeps what Railway's preview confirmed: its answer drops no-ops it can see (masked variable
 * values compared server-side). Rows follow the changes that remain.
 */
export function confirmByPreview(services: ServiceChanges[], confirmed: Change[]): ServiceChanges[] {
  const keys = new Set(confirmed.map(changeKey));
  return services.map((service) => {
    const changes = service.changes.filter((change) => keys.has(changeKey(change)));
    const kept = new Set(changes.flatMap(rowFieldsOf));
    return {
      ...service,
      changes,
      rows: service.rows.filter((row) => row.field === "configFile" || kept.has(row.field)),
    };
  });
}

function changeKey(change: Pick<Change, "kind" | "path">): string {
  return `${change.kind} ${change.path}`;
}

function rowFieldsOf(change: Change): string[] {
  switch (change.kind) {
    case "resource.update":
      return change.details ?? [];
    case "variable.set":
    case "variable.delete":
      return [`variables.${change.variable}`];
    case "domain.create":
      return [`domains.${change.domain}`];
    case "resource.create":
      return [];
  }
}

/**
 * The change set that puts back what `applied` changed, for the sections that still hold what
 * this run wrote (a section changed again since is left alone and reported).
 */
export function inverseChanges(
  applied: Change[],
  live: EnvironmentConfig,
  serviceIds: Map<string, string>,
): { changes: Change[]; skipped: string[] } {
  const changes: Change[] = [];
  const skipped: string[] = [];
  for (const change of applied) {
    const serviceId = serviceIds.get(change.address);
    const entry = serviceId ? (live.services?.[serviceId] ?? {}) : {};
    if (change.kind === "resource.update") {
      const now = (entry[change.field] ?? null) as Record<string, unknown> | null;
      if (!sameSection(now, change.after)) {
        skipped.push(`${change.address} ${change.field} (changed again since this run applied it)`);
        continue;
      }
      changes.push({
        ...change,
        before: now,
        after: change.before ?? {},
        summary: `Restore ${change.address} ${change.field}`,
      });
    } else if (change.kind === "variable.set") {
      if (change.before === undefined) {
        changes.push({
          kind: "variable.delete",
          address: change.address,
          variable: change.variable,
          path: change.path,
          summary: `Delete variable ${change.address}.${change.variable} (this run created it)`,
          severity: "destructive",
          deployEffect: "deploy",
        });
      } else if (change.before.type === "literal" && change.after.type === "literal") {
        changes.push({ ...change, after: change.before, before: change.after });
      } else {
        skipped.push(
          `${change.address} variable ${change.variable} (its earlier value is not readable without decrypting it)`,
        );
      }
    } else {
      skipped.push(`${change.address} ${change.kind} (not undone: ${change.summary})`);
    }
  }
  return { changes, skipped };
}

function sameSection(a: Record<string, unknown> | null, b: Record<string, unknown> | null): boolean {
  const strip = (v: Record<string, unknown> | null) => {
    if (!v) return {};
    const copy = { ...v };
    // Credentials read back masked: they cannot tell whether the section changed.
    if (isMaskedCredentials(copy.registryCredentials) || copy.registryCredentials)
      delete copy.registryCredentials;
    return copy;
  };
  return stableStringify(strip(a)) === stableStringify(strip(b));
}

/** Compares one declared field with Railway's value, as Railway stores it. */
export function sameValue(section: string, key: string, want: unknown, have: unknown): boolean {
  return stableStringify(normalize(section, key, want)) === stableStringify(normalize(section, key, have));
}

function normalize(section: string, key: string, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") {
    if (value === "") return null;
    if (key === "builder" || key === "restartPolicyType") return value.toUpperCase();
    if (section === "source" && key === "rootDirectory") return value.replace(/^\/+|\/+$/g, "") || null;
    if (key === "preDeployCommand") return [value];
    return value;
  }
  if (Array.isArray(value)) {
    if (value.length === 0 && key === "watchPatterns") return null;
    return value;
  }
  if (key === "multiRegionConfig" && typeof value === "object") {
    const regions = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null);
    return regions.length === 0 ? null : Object.fromEntries(regions);
  }
  if (key === "registryCredentials" && typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (v.username === MASKED_CREDENTIAL) return "masked";
  }
  return value;
}
