// Which Railway service a plain Config-as-Code file configures. A file with a [services]
// table names its services; a plain file (only Railway's own keys) configures one service,
// found the way Railway linked them: the service whose "Railway Config File" setting
// (railwayConfigFile) names the file, failing that the service-configs mapping
// (`web=apps/web/railway.toml`). See docs/decisions/0110-linking-plain-files.md.
import { posix } from "node:path";
import { isTable } from "./model.ts";
import type { ServiceConfig } from "./types.ts";

export type LinkSource = "service-configs" | "railway-config-file" | "railyard-variable";

/** The service variable in which Railyard remembers which file configures a service (decision 0110). */
export const CONFIG_FILE_VARIABLE = "RAILYARD_CONFIG_FILE";

/** A Railway service as the linker needs it: its name and, when read, its live settings. */
export interface LinkableService {
  name: string;
  /** Live "Railway Config File" setting, e.g. "/apps/web/railway.toml"; "" or null when unset. */
  railwayConfigFile?: string | null;
  /** Live root directory, e.g. "/apps/web"; null or "" means the repository root. */
  rootDirectory?: string | null;
  /** The service's RAILYARD_CONFIG_FILE variable: the link an earlier run remembered. */
  rememberedConfigFile?: string | null;
}

export interface LinkableConfig {
  files: { path: string; rootDirectory: string; data: unknown }[];
  services: ServiceConfig[];
}

/** A problem with the links: a usage problem (exit 2), never a finding in a file. */
export class LinkError extends Error {
  override readonly name = "LinkError";
}

/** "/apps/web/railway.toml", "apps/web/railway.toml" and "./apps/web/railway.toml" are one file. */
export function repoPath(path: string): string {
  return posix
    .normalize(path.trim().replace(/\\/g, "/"))
    .replace(/^(\.\/)+/, "")
    .replace(/^\/+/, "");
}

/** A file with no [services] table is a plain Config-as-Code file: it configures one service. */
export function isPlainFile(file: { data: unknown }): boolean {
  return isTable(file.data) && !isTable(file.data.services);
}

/** Plain files no service is linked to yet. */
export function unlinkedFiles(config: LinkableConfig): string[] {
  const linked = new Set(config.services.map((service) => service.file));
  return config.files.filter((file) => isPlainFile(file) && !linked.has(file.path)).map((file) => file.path);
}

/** Parses `web=apps/web/railway.toml, api=apps/api/railway.json` into service → file. */
export function parseServiceConfigs(text: string): Map<string, string> {
  const links = new Map<string, string>();
  for (const entry of text.split(/[\n,]/)) {
    const item = entry.trim();
    if (item === "") continue;
    const at = item.lastIndexOf("=");
    const service = item.slice(0, at).trim();
    const file = item.slice(at + 1).trim();
    if (at <= 0 || service === "" || file === "") {
      throw new LinkError(
        `${JSON.stringify(item.slice(0, 80))} is not a link: write <service>=<path of its railway.toml>, e.g. web=apps/web/railway.toml`,
      );
    }
    const path = repoPath(file);
    if (path.startsWith("../") || path === "..") {
      throw new LinkError(`${JSON.stringify(file.slice(0, 80))} must be a path inside the repository`);
    }
    const before = links.get(service);
    if (before !== undefined && before !== path) {
      throw new LinkError(`service ${service} is linked to two files: ${before} and ${path}`);
    }
    links.set(service, path);
  }
  return links;
}

function plainService(
  name: string,
  file: { path: string; rootDirectory: string },
  via: LinkSource,
  rootDirectory: string | undefined,
): ServiceConfig {
  return {
    name,
    file: file.path,
    rootDirectory: rootDirectory ?? file.rootDirectory,
    requiredVariables: [],
    // Railyard remembers the link in Railway: Railway's IaC clears railwayConfigFile.
    fixedVariables: { [CONFIG_FILE_VARIABLE]: `/${file.path}` },
    dependsOn: [],
    plainFile: { via, ...(rootDirectory === undefined ? {} : { liveRootDirectory: rootDirectory }) },
    location: { file: file.path, line: 1, column: 1 },
  };
}

function liveRoot(service: LinkableService | undefined): string | undefined {
  if (service === undefined || service.rootDirectory === undefined) return undefined;
  const root = repoPath(service.rootDirectory ?? "");
  return root === "" || root === "." ? "/" : `/${root}`;
}

export interface LinkResult {
  /** Every service, table-declared ones first, then the linked plain files. */
  services: ServiceConfig[];
  /** Plain files still without a service. */
  unlinked: string[];
  /** One line per link made from Railway's setting or the mapping, for the plan. */
  notes: string[];
}

/**
 * Links plain files to services: the service-configs mapping first (it is the user's latest
 * word, and how a file is moved), then the live railwayConfigFile of `railway` services (when
 * Railway could be read). Throws LinkError for links that contradict each other.
 */
export function linkPlainFiles(
  config: LinkableConfig,
  mapping: ReadonlyMap<string, string>,
  railway?: readonly LinkableService[],
): LinkResult {
  const services = config.services.filter((service) => service.plainFile === undefined);
  const byPath = new Map(config.files.map((file) => [file.path, file]));
  const tableServices = new Map(services.map((service) => [service.name, service]));
  const liveByName = new Map((railway ?? []).map((service) => [service.name, service]));
  const notes: string[] = [];
  const linkedFile = new Map<string, string>();

  for (const [name, path] of mapping) {
    const file = byPath.get(path);
    if (file === undefined) {
      const known = config.files.map((f) => f.path).join(", ") || "none";
      throw new LinkError(
        `service-configs: ${name}=${path}: no such config file was read (config files: ${known})`,
      );
    }
    if (!isPlainFile(file)) {
      throw new LinkError(
        `service-configs: ${name}=${path}: that file declares its services in [services] tables; a link is only for a plain railway.toml`,
      );
    }
    const declared = tableServices.get(name);
    if (declared !== undefined) {
      throw new LinkError(
        `service-configs: ${name}=${path}: ${name} is already declared in ${declared.file}:${declared.location.line}`,
      );
    }
    const other = linkedFile.get(path);
    if (other !== undefined) {
      throw new LinkError(`service-configs: ${path} is linked to two services, ${other} and ${name}`);
    }
    if (railway !== undefined && !liveByName.has(name)) {
      const names = [...liveByName.keys()].join(", ") || "none";
      throw new LinkError(
        `service-configs: ${name}=${path}: the Railway project has no service named ${name} (services: ${names})`,
      );
    }
    linkedFile.set(path, name);
    services.push(plainService(name, file, "service-configs", liveRoot(liveByName.get(name))));
  }

  if (railway !== undefined) {
    for (const via of ["railway-config-file", "railyard-variable"] as const) {
      for (const file of config.files) {
        if (!isPlainFile(file) || linkedFile.has(file.path)) continue;
        const named = (service: LinkableService) => {
          const value =
            via === "railway-config-file" ? service.railwayConfigFile : service.rememberedConfigFile;
          return typeof value === "string" && value !== "" && repoPath(value) === file.path;
        };
        const taken = new Set([...linkedFile.values(), ...tableServices.keys(), ...mapping.keys()]);
        const free = railway.filter((service) => named(service) && !taken.has(service.name));
        if (free.length > 1) {
          throw new LinkError(
            `${file.path} is named by ${free.length} services (${free.map((s) => s.name).join(", ")}): a plain file configures one service; link it with service-configs (e.g. ${free[0]?.name}=${file.path})`,
          );
        }
        const service = free[0];
        if (service === undefined) continue;
        linkedFile.set(file.path, service.name);
        services.push(plainService(service.name, file, via, liveRoot(service)));
        notes.push(
          via === "railway-config-file"
            ? `${service.name}: configured by ${file.path} (its Railway Config File setting names it)`
            : `${service.name}: configured by ${file.path} (remembered in its ${CONFIG_FILE_VARIABLE} variable)`,
        );
      }
    }
  }
  for (const [name, path] of mapping) {
    const live = liveByName.get(name);
    const before = live?.rememberedConfigFile || live?.railwayConfigFile;
    notes.push(
      before && repoPath(before) !== path
        ? `${name}: configured by ${path} (service-configs); the link moves from ${before} to /${path}`
        : `${name}: configured by ${path} (service-configs)`,
    );
  }
  return { services, unlinked: unlinkedFiles({ files: config.files, services }), notes };
}

/** The one message for plain files no service is linked to, naming the three ways to link them. */
export function unlinkedMessage(files: readonly string[], railwayServices?: readonly string[]): string {
  const first = files[0] ?? "railway.toml";
  const list = files.length === 1 ? first : `${files.length} files (${files.join(", ")})`;
  const candidates =
    railwayServices && railwayServices.length > 0 ? ` (Railway services: ${railwayServices.join(", ")})` : "";
  return `no Railway service is linked to ${list}${candidates}. Link it in one of three ways: set the service's "Railway Config File" setting in Railway to /${first}; or pass service-configs: <service>=${first} (CLI: --service-configs); or give the file a [services.<service>] table`;
}
