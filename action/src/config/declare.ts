// What the repository declares must exist in Railway, beyond settings: databases by kind and
// name ([databases.<name>]), each service's source and domains, and variables Railway renders
// (references) or generates once (`${{ secret(32) }}`). Railyard creates what is missing
// (pipeline/provision.ts). See docs/decisions/0130-declared-resources.md.

import { isTable, type ParsedConfigFile, tableAt } from "./model.ts";
import { clip } from "./quote.ts";
import { closest, locateIn } from "./schema-check.ts";
import type { Finding, ServiceConfig, SourceLocation } from "./types.ts";

export type DatabaseKind = "postgres" | "redis";

export interface DatabaseDeclaration {
  /** The Railway service name, e.g. "User Data DB". */
  name: string;
  kind: DatabaseKind;
  image?: string;
  /** Where its volume is mounted (default per kind). */
  mountPath: string;
  file: string;
  location: SourceLocation;
}

export interface ServiceSource {
  repo?: string;
  branch?: string;
  image?: string;
}

export interface ServiceDomains {
  railway: boolean;
  custom: string[];
}

/** What a service declares about its own existence: where it comes from, its domains, its generated secrets. */
export interface ServiceDeclaration {
  source?: ServiceSource;
  domains?: ServiceDomains;
  /** Variable name → generator (`secret(32)`), from `set` values `${{ secret(32) }}`. */
  generatedVariables?: Record<string, string>;
}

/** Railway's PostgreSQL and Redis templates keep their data here. */
export const DEFAULT_MOUNT_PATH: Record<DatabaseKind, string> = {
  postgres: "/var/lib/postgresql/data",
  redis: "/data",
};

/** Railway's template images (the same ones its IaC engine writes). */
export const DEFAULT_IMAGE: Record<DatabaseKind, string> = {
  postgres: "ghcr.io/railwayapp-templates/postgres-ssl:18",
  redis: "redis:8",
};

/** The variables a database of the kind exposes (Railway's templates). */
export const DATABASE_OUTPUTS: Record<DatabaseKind, readonly string[]> = {
  postgres: [
    "DATABASE_URL",
    "DATABASE_PUBLIC_URL",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
  ],
  redis: ["REDIS_URL", "REDIS_PUBLIC_URL", "REDISHOST", "REDISPORT", "REDISUSER", "REDISPASSWORD"],
};

const GENERATED = /^\s*\$\{\{\s*(secret\(\s*\d+\s*(?:,\s*"[^"]*"\s*)?\))\s*\}\}\s*$/;
const ANY_SECRET_CALL = /\$\{\{\s*secret\s*\(/;

/** `${{ secret(32) }}` → `secret(32)`; anything else → undefined. */
export function generatorOf(value: string): string | undefined {
  const match = GENERATED.exec(value);
  if (!match?.[1]) return undefined;
  return match[1].replace(/\s+/g, "").replace(/,"/, ', "');
}

/** The databases one file declares. */
export function databasesOf(file: ParsedConfigFile): DatabaseDeclaration[] {
  const table = tableAt(file.data, ["databases"]);
  if (!table) return [];
  const out: DatabaseDeclaration[] = [];
  for (const [name, value] of Object.entries(table)) {
    if (!isTable(value) || (value.kind !== "postgres" && value.kind !== "redis")) continue;
    const mountPath = tableAt(value, ["volume"])?.mountPath;
    out.push({
      name,
      kind: value.kind,
      ...(typeof value.image === "string" ? { image: value.image } : {}),
      mountPath: typeof mountPath === "string" ? mountPath : DEFAULT_MOUNT_PATH[value.kind],
      file: file.path,
      location: locateIn(file.path, file.positions, ["databases", name], "key"),
    });
  }
  return out;
}

/** A service table's declaration (source, domains) and the generated ones among its `set` values. */
export function serviceDeclarationOf(
  service: Record<string, unknown>,
  setValues: Record<string, string>,
): ServiceDeclaration {
  const out: ServiceDeclaration = {};
  const source = tableAt(service, ["source"]);
  if (source) {
    const picked: ServiceSource = {};
    for (const key of ["repo", "branch", "image"] as const)
      if (typeof source[key] === "string") picked[key] = source[key] as string;
    out.source = picked;
  }
  const domains = tableAt(service, ["domains"]);
  if (domains) {
    out.domains = {
      railway: domains.railway === true,
      custom: Array.isArray(domains.custom)
        ? domains.custom.filter((d): d is string => typeof d === "string").map((d) => d.toLowerCase())
        : [],
    };
  }
  const generated: Record<string, string> = {};
  for (const [name, value] of Object.entries(setValues)) {
    const generator = generatorOf(value);
    if (generator) generated[name] = generator;
  }
  if (Object.keys(generated).length > 0) out.generatedVariables = generated;
  return out;
}

/**
 * Checks across files: a database name used twice or also by a service, a source with both a
 * repo and an image, a `secret()` that is not the whole value, a custom domain claimed twice,
 * and references to services or databases no file declares (warnings: Railway may have them).
 */
export function declarationFindings(
  files: ParsedConfigFile[],
  services: ServiceConfig[],
  databases: DatabaseDeclaration[],
): Finding[] {
  const findings: Finding[] = [];
  const serviceNames = new Set(services.map((s) => s.name));
  const seen = new Map<string, DatabaseDeclaration>();
  for (const database of databases) {
    const first = seen.get(database.name);
    if (first) {
      findings.push({
        severity: "error",
        code: "duplicate-database",
        message: `database \`${database.name}\` is already declared in ${first.file}:${first.location.line}`,
        location: database.location,
      });
    } else seen.set(database.name, database);
    if (serviceNames.has(database.name)) {
      findings.push({
        severity: "error",
        code: "database-is-service",
        message: `\`${database.name}\` is declared both as a database and as a service; Railway names each service once`,
        location: database.location,
      });
    }
  }
  const known = [...serviceNames, ...seen.keys()];
  const domainOwners = new Map<string, string>();
  for (const file of files) {
    const table = tableAt(file.data, ["services"]) ?? {};
    const fileSet = tableAt(file.data, ["variables", "set"]) ?? {};
    for (const [name, service] of Object.entries(table)) {
      if (!isTable(service)) continue;
      const source = tableAt(service, ["source"]);
      if (source && typeof source.image === "string" && typeof source.repo === "string") {
        findings.push({
          severity: "error",
          code: "source-repo-and-image",
          message: `service \`${name}\` has both a repo and an image as its source; Railway takes one`,
          suggestion: "keep `repo` (with `branch`) or `image`",
          location: locateIn(file.path, file.positions, ["services", name, "source"], "key"),
        });
      }
      if (source && typeof source.branch === "string" && typeof source.repo !== "string") {
        findings.push({
          severity: "error",
          code: "source-branch-without-repo",
          message: `service \`${name}\` names a branch but no repo`,
          location: locateIn(file.path, file.positions, ["services", name, "source", "branch"], "key"),
        });
      }
      const custom = tableAt(service, ["domains"])?.custom;
      if (Array.isArray(custom)) {
        custom.forEach((domain, index) => {
          if (typeof domain !== "string") return;
          const owner = domainOwners.get(domain.toLowerCase());
          if (owner && owner !== name) {
            findings.push({
              severity: "error",
              code: "duplicate-domain",
              message: `custom domain \`${clip(domain)}\` is already claimed by service \`${owner}\``,
              location: locateIn(
                file.path,
                file.positions,
                ["services", name, "domains", "custom", String(index)],
                "value",
              ),
            });
          } else domainOwners.set(domain.toLowerCase(), name);
        });
      }
      const own = tableAt(service, ["variables", "set"]) ?? {};
      for (const [segments, set] of [
        [["variables", "set"], fileSet],
        [["services", name, "variables", "set"], own],
      ] as const) {
        for (const [variable, value] of Object.entries(set)) {
          if (typeof value !== "string") continue;
          const location = locateIn(file.path, file.positions, [...segments, variable], "value");
          findings.push(...valueFindings(variable, value, location, known));
        }
      }
    }
  }
  // File-level `set` values are checked once per service that inherits them: keep one of each.
  const unique = new Map<string, Finding>();
  for (const finding of findings)
    unique.set(
      `${finding.code}@${finding.location.file}:${finding.location.line}:${finding.location.column}`,
      finding,
    );
  return [...unique.values()];
}

function valueFindings(
  variable: string,
  value: string,
  location: SourceLocation,
  known: string[],
): Finding[] {
  const findings: Finding[] = [];
  if (ANY_SECRET_CALL.test(value) && generatorOf(value) === undefined) {
    findings.push({
      severity: "error",
      code: "bad-secret",
      message: `\`${variable}\`: a generated secret must be the whole value, written \`\${{ secret(32) }}\` (length 1 to 256, optionally an alphabet in double quotes)`,
      location,
    });
    return findings;
  }
  const length = Number(/secret\(\s*(\d+)/.exec(value)?.[1] ?? 32);
  if (generatorOf(value) && (length < 1 || length > 256)) {
    findings.push({
      severity: "error",
      code: "bad-secret",
      message: `\`${variable}\`: secret(${length}) is out of range (1 to 256)`,
      location,
    });
  }
  for (const match of value.matchAll(/\$\{\{\s*([^}]*?)\s*\}\}/g)) {
    const reference = match[1] ?? "";
    const dot = reference.lastIndexOf(".");
    if (dot === -1) continue;
    const owner = reference.slice(0, dot).trim();
    if (owner === "shared" || known.includes(owner) || owner.startsWith("secret(")) continue;
    const near = closest(owner, known);
    findings.push({
      severity: "warning",
      code: "unknown-reference",
      message: `\`${variable}\` references \`${clip(owner)}\`, which no railway.toml declares as a service or database; Railway renders a reference to nothing as empty`,
      ...(near === undefined ? {} : { suggestion: `did you mean \`${near}\`?` }),
      location,
    });
  }
  return findings;
}
