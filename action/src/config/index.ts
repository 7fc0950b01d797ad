// Public API of the config validator: load and validate every railway.toml/json,
// resolve a service's effective settings, format findings for a terminal.

import { readdirSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";
import { printable } from "../report/escape.ts";
import {
  type DatabaseDeclaration,
  databasesOf,
  declarationFindings,
  serviceDeclarationOf,
} from "./declare.ts";
import { sortFindings } from "./format.ts";
import { isTable, type ParsedConfigFile, tableAt } from "./model.ts";
import { parseConfigText } from "./parse.ts";
import { readConfigFile } from "./read-file.ts";
import { locateIn, schemaFindings } from "./schema-check.ts";
import { crossFileFindings, environmentTypoFindings, fileFindings } from "./semantic.ts";
import type { Finding, ServiceConfig, SmokeRole, SourceLocation } from "./types.ts";

export type { DatabaseDeclaration, DatabaseKind, ServiceDeclaration } from "./declare.ts";
export { formatFindings, sortFindings } from "./format.ts";
export {
  isPlainFile,
  LinkError,
  linkPlainFiles,
  parseServiceConfigs,
  unlinkedFiles,
  unlinkedMessage,
} from "./mapping.ts";
export { resolveServiceSettings, UnknownServiceError } from "./resolve.ts";
export type { Finding, ServiceConfig, ServiceSettings, SmokeRole, SourceLocation } from "./types.ts";

export interface ConfigFile {
  /** Repo-relative path, e.g. "backend/railway.toml". */
  path: string;
  /** Absolute repo path of the file's folder, e.g. "/backend". */
  rootDirectory: string;
  /** Parsed content; undefined when the file has a syntax error. */
  data: unknown;
}

export interface LoadedConfig {
  files: ConfigFile[];
  services: ServiceConfig[];
  /** Databases the files declare ([databases.<name>]), created by Railyard when missing. */
  databases: DatabaseDeclaration[];
  findings: Finding[];
}

export interface LoadConfigOptions {
  repoDir: string;
  /** Repo-relative paths; default: every railway.toml / railway.json under repoDir. */
  files?: string[];
  /** Environment names of the Railway project, when it could be read (`pr` is always allowed). */
  environments?: string[];
  /** The run's environment name: validate warns about names close to it that appear nowhere else. */
  environment?: string;
  /** Default true. False skips checks that read the disk besides the config files (Dockerfiles). */
  checkFilesystem?: boolean;
  /** Per plain file (repo-relative path), the live root directory of the service it configures. */
  liveRootDirectories?: ReadonlyMap<string, string>;
}

const CONFIG_NAMES = new Set(["railway.toml", "railway.json"]);
const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git", "fixtures", "__fixtures__"]);

/**
 * Every railway.toml / railway.json under repoDir, repo-relative, sorted. Entries of those names
 * that are symlinks, pipes or devices are listed too: reading them says why they are refused
 * (read-file.ts), instead of skipping them without a word. Symlinked folders are not followed.
 */
export function discoverConfigFiles(repoDir: string): string[] {
  const found: string[] = [];
  // Iterative: a deep tree must not exhaust the stack.
  const pending = [repoDir];
  for (let directory = pending.pop(); directory !== undefined; directory = pending.pop()) {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) pending.push(join(directory, entry.name));
      } else if (CONFIG_NAMES.has(entry.name)) {
        found.push(relative(repoDir, join(directory, entry.name)).split(sep).join("/"));
      }
    }
  }
  return found.sort();
}

function rootDirectoryOf(path: string): string {
  const folder = posix.dirname(path);
  return folder === "." ? "/" : `/${folder}`;
}

function normalizeRepoPath(path: string): string {
  return posix.normalize(path.split(sep).join("/")).replace(/^\.\//, "").replace(/^\/+/, "");
}

function smokeOf(value: unknown): SmokeRole | undefined {
  if (!isTable(value)) return undefined;
  if (value.role === "api" && typeof value.versionPath === "string") {
    return typeof value.healthPath === "string"
      ? { role: "api", versionPath: value.versionPath, healthPath: value.healthPath }
      : { role: "api", versionPath: value.versionPath };
  }
  if (
    value.role === "frontend" &&
    typeof value.buildInfoPath === "string" &&
    typeof value.apiUrlVariable === "string"
  ) {
    return { role: "frontend", buildInfoPath: value.buildInfoPath, apiUrlVariable: value.apiUrlVariable };
  }
  return undefined;
}

function stringList(value: unknown): { value: string; index: number }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry, index) => (typeof entry === "string" ? [{ value: entry, index }] : []));
}

function servicesOf(
  file: ParsedConfigFile,
  dependsOnLocations: Map<ServiceConfig, SourceLocation[]>,
): ServiceConfig[] {
  const services = tableAt(file.data, ["services"]);
  if (services === undefined) return [];
  const fileVariables = tableAt(file.data, ["variables"]);
  const result: ServiceConfig[] = [];
  for (const [name, table] of Object.entries(services)) {
    if (!isTable(table)) continue;
    const variables = tableAt(table, ["variables"]);
    const requiredVariables: ServiceConfig["requiredVariables"] = [];
    const seen = new Set<string>();
    for (const [segments, list] of [
      [["variables", "required"], fileVariables?.required],
      [["services", name, "variables", "required"], variables?.required],
    ] as const) {
      for (const { value, index } of stringList(list)) {
        if (seen.has(value)) continue;
        seen.add(value);
        requiredVariables.push({
          name: value,
          location: locateIn(file.path, file.positions, [...segments, String(index)], "value"),
        });
      }
    }
    const setValues: Record<string, string> = {};
    for (const set of [tableAt(fileVariables, ["set"]), tableAt(variables, ["set"])]) {
      for (const [key, value] of Object.entries(set ?? {}))
        if (typeof value === "string") setValues[key] = value;
    }
    // `${{ secret(32) }}` values are generated by Railway once, never set as text.
    const declaration = serviceDeclarationOf(table, setValues);
    const fixedVariables = Object.fromEntries(
      Object.entries(setValues).filter(([key]) => declaration.generatedVariables?.[key] === undefined),
    );
    const dependsOn = stringList(table.dependsOn);
    const smoke = smokeOf(table.smoke);
    const service: ServiceConfig = {
      name,
      file: file.path,
      rootDirectory: file.rootDirectory,
      requiredVariables,
      fixedVariables,
      dependsOn: dependsOn.map((entry) => entry.value),
      ...(smoke === undefined ? {} : { smoke }),
      ...declaration,
      location: locateIn(file.path, file.positions, ["services", name], "key"),
    };
    dependsOnLocations.set(
      service,
      dependsOn.map((entry) =>
        locateIn(file.path, file.positions, ["services", name, "dependsOn", String(entry.index)], "value"),
      ),
    );
    result.push(service);
  }
  return result;
}

/** Parses and validates one file's text (no cross-file checks). Never throws. */
export function validateConfigText(
  path: string,
  text: string,
  options: {
    repoDir?: string;
    environments?: string[];
    checkFilesystem?: boolean;
    liveRootDirectory?: string;
  } = {},
): { file: ParsedConfigFile; findings: Finding[] } {
  try {
    return validateParsedText(path, text, options);
  } catch (error) {
    // Pathological input (thousands of nested arrays) can exhaust the stack in a parser
    // or a checker; it is still a finding about the file, never a crash.
    const tooDeep = error instanceof RangeError;
    return {
      file: { path, rootDirectory: rootDirectoryOf(path), data: undefined, positions: new Map() },
      findings: [
        {
          severity: "error",
          code: tooDeep ? "too-deep" : "unreadable",
          message: tooDeep
            ? "the file nests tables or arrays too deeply to be read"
            : `the file could not be validated (${error instanceof Error ? error.name : "unknown error"})`,
          location: { file: path, line: 1, column: 1 },
        },
      ],
    };
  }
}

function validateParsedText(
  path: string,
  text: string,
  options: {
    repoDir?: string;
    environments?: string[];
    checkFilesystem?: boolean;
    liveRootDirectory?: string;
  },
): { file: ParsedConfigFile; findings: Finding[] } {
  const parsed = parseConfigText(path, text);
  const file: ParsedConfigFile = {
    path,
    rootDirectory: rootDirectoryOf(path),
    data: parsed.data,
    positions: parsed.positions,
  };
  const findings = [...parsed.findings];
  if (parsed.data !== undefined) {
    for (const finding of schemaFindings(path, parsed.data, parsed.positions)) findings.push(finding);
    findings.push(
      ...fileFindings(file, {
        repoDir: options.repoDir ?? ".",
        checkFilesystem: options.checkFilesystem ?? options.repoDir !== undefined,
        ...(options.liveRootDirectory === undefined ? {} : { liveRootDirectory: options.liveRootDirectory }),
        ...(options.environments === undefined ? {} : { environments: options.environments }),
      }),
    );
  }
  return { file, findings };
}

/**
 * Loads every config file, validates each (syntax, schema, semantic checks) and the
 * set as a whole. Never throws on bad input: every problem is a finding.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const paths = (options.files ?? discoverConfigFiles(options.repoDir)).map(normalizeRepoPath);
  const files: ConfigFile[] = [];
  const parsedFiles: ParsedConfigFile[] = [];
  const services: ServiceConfig[] = [];
  const databases: DatabaseDeclaration[] = [];
  const findings: Finding[] = [];
  const dependsOnLocations = new Map<ServiceConfig, SourceLocation[]>();
  for (const path of [...new Set(paths)]) {
    const read = readConfigFile(options.repoDir, path);
    if ("finding" in read) {
      findings.push(read.finding);
      continue;
    }
    const { text } = read;
    const { file, findings: fileProblems } = validateConfigText(path, text, {
      repoDir: options.repoDir,
      checkFilesystem: options.checkFilesystem ?? true,
      ...(options.liveRootDirectories?.has(path)
        ? { liveRootDirectory: options.liveRootDirectories.get(path) as string }
        : {}),
      ...(options.environments === undefined ? {} : { environments: options.environments }),
    });
    for (const finding of fileProblems) findings.push(finding);
    files.push({ path: file.path, rootDirectory: file.rootDirectory, data: file.data });
    parsedFiles.push(file);
    // Loops, not push(...): a spread of 100,000 items exceeds the call stack.
    for (const service of servicesOf(file, dependsOnLocations)) services.push(service);
    for (const database of databasesOf(file)) databases.push(database);
  }
  for (const finding of crossFileFindings(services, dependsOnLocations)) findings.push(finding);
  // Without the project's environments (validate), typos are found against the names in the files.
  if (options.environments === undefined)
    for (const finding of environmentTypoFindings(parsedFiles, options.environment)) findings.push(finding);
  for (const finding of declarationFindings(parsedFiles, services, databases)) findings.push(finding);
  // Messages quote config text (a syntax error quotes the bytes it found): each must be printable.
  const printed = findings.map((finding) => ({
    ...finding,
    message: printable(finding.message),
    ...(finding.suggestion === undefined ? {} : { suggestion: printable(finding.suggestion) }),
  }));
  return { files, services, databases, findings: sortFindings(printed) };
}
