// Checks the schema cannot express: files on disk, cron and glob syntax, paths,
// references between services, and environment names.

import { existsSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { CronExpressionParser } from "cron-parser";
import ignore from "ignore";
import {
  allBlocks,
  environmentNames,
  isTable,
  layers,
  mergeLayers,
  type ParsedConfigFile,
  tableAt,
} from "./model.ts";
import { clip, quote, worthSuggesting } from "./quote.ts";
import { closest, displayPath, locateIn } from "./schema-check.ts";
import type { Finding, ServiceConfig, SourceLocation } from "./types.ts";

export interface SemanticOptions {
  repoDir: string;
  /** Known Railway environment names; undefined when the project could not be read. */
  environments?: string[];
  /** False for files outside a checkout (the corpus): skip Dockerfile existence checks. */
  checkFilesystem: boolean;
  /**
   * The live root directory of the service a plain file configures, when Railway was read
   * (e.g. "/" for haproxy/railway.toml). Without it a Dockerfile path is accepted from the
   * repository root or from the file's folder, as Railway may read it from either.
   */
  liveRootDirectory?: string;
}

const CRON_MIN_INTERVAL_MS = 5 * 60 * 1000;

function at(
  file: ParsedConfigFile,
  segments: readonly string[],
  prefer: "key" | "value" = "value",
): SourceLocation {
  return locateIn(file.path, file.positions, segments, prefer);
}

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Repo-relative path of a Dockerfile path as Railway reads it: from the service root, or the repo root with a leading `/`. */
function dockerfileRepoPath(rootDirectory: string, dockerfilePath: string): string {
  const joined = dockerfilePath.startsWith("/") ? dockerfilePath : posix.join(rootDirectory, dockerfilePath);
  return posix.normalize(joined).replace(/^\/+/, "");
}

/** True when a path, read from `rootDirectory` (or from the repository root with a leading `/`), leaves the repository. */
function climbsAboveRoot(rootDirectory: string, path: string): boolean {
  let depth = 0;
  const start = path.startsWith("/") ? "" : rootDirectory;
  for (const segment of `${start}/${path}`.split("/")) {
    if (segment === "" || segment === ".") continue;
    depth += segment === ".." ? -1 : 1;
    if (depth < 0) return true;
  }
  return false;
}

/**
 * `validate` knows no Railway project: an environment name used in one place and close to one
 * used elsewhere (or to the run's environment) is most likely a typo of it. A warning, with
 * the name it is close to.
 */
export function environmentTypoFindings(files: ParsedConfigFile[], runEnvironment?: string): Finding[] {
  const uses = new Map<string, { file: ParsedConfigFile; segments: string[] }[]>();
  for (const file of files) {
    const tables: string[][] = [["environments"]];
    for (const service of Object.keys(tableAt(file.data, ["services"]) ?? {}))
      tables.push(["services", service, "environments"]);
    for (const segments of tables)
      for (const name of Object.keys(tableAt(file.data, segments) ?? {})) {
        const list = uses.get(name) ?? [];
        list.push({ file, segments: [...segments, name] });
        uses.set(name, list);
      }
  }
  const anchors = new Set(["pr", ...(runEnvironment ? [runEnvironment] : [])]);
  const findings: Finding[] = [];
  for (const [name, where] of uses) {
    if (anchors.has(name)) continue;
    // Close to a name that is used more often, or to the run's environment / `pr`.
    const candidates = [...new Set([...uses.keys(), ...anchors])].filter(
      (other) => other !== name && (anchors.has(other) || (uses.get(other)?.length ?? 0) > where.length),
    );
    const near = closest(name, candidates);
    if (near === undefined) continue;
    for (const { file, segments } of where) {
      findings.push({
        severity: "warning",
        code: "unknown-environment",
        message: `environment \`${clip(name)}\` is not used anywhere else${runEnvironment ? ` and is not the run's environment (\`${clip(runEnvironment)}\`)` : ""}`,
        suggestion: `did you mean \`${clip(near)}\`?`,
        location: at(file, segments, "key"),
      });
    }
  }
  return findings;
}

/** A plain Config-as-Code file: no [services] table, so it configures one service whose root directory Railway holds. */
function isPlain(file: ParsedConfigFile): boolean {
  return isTable(file.data) && !isTable(file.data.services);
}

/**
 * Where a Dockerfile path may be read from: the service root. For a [services] file that is
 * the file's folder; for a plain file the live root directory, or, without one, the repository
 * root and the file's folder (whichever has it).
 */
function dockerfileRoots(file: ParsedConfigFile, options: SemanticOptions): string[] {
  if (!isPlain(file)) return [file.rootDirectory];
  if (options.liveRootDirectory !== undefined) return [options.liveRootDirectory];
  return [...new Set(["/", file.rootDirectory])];
}

function missingDockerfile(
  file: ParsedConfigFile,
  options: SemanticOptions,
  dockerfilePath: string,
): { looked: string[] } | undefined {
  const looked = dockerfileRoots(file, options).map((root) => dockerfileRepoPath(root, dockerfilePath));
  if (dockerfilePath.trim() !== "" && looked.some((path) => isFile(join(options.repoDir, path))))
    return undefined;
  return { looked: [...new Set(looked)] };
}

function dockerfileSuggestion(file: ParsedConfigFile, options: SemanticOptions): string {
  if (!isPlain(file))
    return "paths are relative to the folder of the config file; a leading `/` starts at the repository root";
  if (options.liveRootDirectory !== undefined)
    return `Railway reads the path from the service's root directory (${options.liveRootDirectory}); a leading \`/\` starts at the repository root`;
  return "Railway reads the path from the service's root directory: the repository root, or the file's folder when the service's root directory is set to it";
}

function checkCommand(file: ParsedConfigFile, segments: string[], value: unknown, findings: Finding[]): void {
  if (typeof value === "string" && value.trim() === "") {
    findings.push({
      severity: "error",
      code: "empty-command",
      message: `\`${displayPath(segments)}\` is an empty command`,
      suggestion: "remove the key to keep the default, or write the command",
      location: at(file, segments),
    });
  }
}

function checkUrlPath(
  file: ParsedConfigFile,
  segments: string[],
  value: unknown,
  findings: Finding[],
  emptyMeansNoHealthCheck = true,
): void {
  if (typeof value !== "string") return;
  if (value === "" && emptyMeansNoHealthCheck) {
    findings.push({
      severity: "warning",
      code: "empty-path",
      message: `\`${displayPath(segments)}\` is empty, which means no health check`,
      suggestion: "remove the key, or give a path such as `/health`",
      location: at(file, segments),
    });
  } else if (!value.startsWith("/")) {
    findings.push({
      severity: "error",
      code: "bad-path",
      message: `\`${displayPath(segments)}\` must start with \`/\`, got ${quote(value)}`,
      ...(value === "" || !worthSuggesting(value)
        ? {}
        : { suggestion: `did you mean \`/${value.replace(/^\.?\/*/, "")}\`?` }),
      location: at(file, segments),
    });
  }
}

function checkCron(file: ParsedConfigFile, segments: string[], value: unknown, findings: Finding[]): void {
  if (typeof value !== "string") return;
  const location = at(file, segments);
  const name = displayPath(segments);
  const fields = value.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    findings.push({
      severity: "error",
      code: "bad-cron",
      message: `\`${name}\` must have 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`,
      location,
    });
    return;
  }
  try {
    const expression = CronExpressionParser.parse(value, {
      tz: "UTC",
      currentDate: new Date("2026-01-01T00:00:00Z"),
    });
    let previous = expression.next().getTime();
    for (let run = 0; run < 12; run += 1) {
      const next = expression.next().getTime();
      if (next - previous < CRON_MIN_INTERVAL_MS) {
        findings.push({
          severity: "warning",
          code: "cron-too-frequent",
          message: `\`${name}\` runs more often than every 5 minutes, which Railway does not allow`,
          location,
        });
        break;
      }
      previous = next;
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : "invalid expression";
    findings.push({
      severity: "error",
      code: "bad-cron",
      message: `\`${name}\` is not a valid cron expression: ${reason}`,
      location,
    });
  }
}

function watchPatternProblem(pattern: string): { message: string; suggestion?: string } | undefined {
  const body = pattern.startsWith("!") ? pattern.slice(1) : pattern;
  if (pattern.trim() === "") return { message: "is empty and matches nothing" };
  if (body.trim() === "") return { message: "negates nothing (`!` alone)" };
  if (pattern.startsWith("#"))
    return {
      message: "starts with `#`, which gitignore syntax reads as a comment",
      suggestion: `write \`\\${clip(pattern)}\` to match a literal #`,
    };
  if (body.startsWith("./")) {
    return {
      message: "starts with `./`, which gitignore syntax never matches",
      suggestion: `did you mean \`/${clip(body.slice(2))}\`?`,
    };
  }
  if (/(^|[^\\])\\$/.test(body)) return { message: "ends with a lone backslash" };
  // Paths Railway matches are repository-relative and normalised: these segments never occur.
  const segments = body.split("/");
  if (segments.includes(".."))
    return { message: "climbs above the repository root (`..`), so it can never match a changed file" };
  if (segments.slice(1).includes("."))
    return {
      message: "has a `.` path segment, which never occurs in the paths it is matched against",
      suggestion: `did you mean \`${clip(body.replace(/\/\.(?=\/|$)/g, ""))}\`?`,
    };
  if (/\\[A-Za-z0-9_-]/.test(body))
    return {
      message:
        "uses `\\` as a path separator; gitignore syntax reads it as an escape, so the pattern never matches the folder meant",
      suggestion: `did you mean \`${clip(body.replace(/\\(?=[A-Za-z0-9_*?-])/g, "/"))}\`?`,
    };
  const unclosed = /\[(?![^\]]*\])/.exec(body.replace(/\\./g, ""));
  if (unclosed !== null) return { message: "has a `[` without a closing `]`" };
  try {
    ignore().add(pattern).ignores("railyard-probe/file");
  } catch (error) {
    return {
      // The library's message quotes the whole compiled pattern: keep only its reason.
      message: `is not a valid gitignore pattern: ${error instanceof Error ? clip(error.message.split(": ").pop() ?? "") : "invalid"}`,
    };
  }
  return undefined;
}

function checkWatchPatterns(
  file: ParsedConfigFile,
  segments: string[],
  value: unknown,
  findings: Finding[],
): void {
  if (!Array.isArray(value)) return;
  const strings = value.filter((pattern): pattern is string => typeof pattern === "string");
  if (strings.length > 0 && strings.every((pattern) => pattern.startsWith("!"))) {
    findings.push({
      severity: "error",
      code: "bad-watch-pattern",
      message: "every watch pattern is a negation (`!`), so no changed file can ever match",
      suggestion: "add the pattern the negations carve out of, e.g. `/backend/**` before `!/backend/test/**`",
      location: at(file, segments),
    });
  }
  value.forEach((pattern, index) => {
    if (typeof pattern !== "string") return;
    const problem = watchPatternProblem(pattern);
    if (problem === undefined) return;
    findings.push({
      severity: "error",
      code: "bad-watch-pattern",
      message: `watch pattern ${quote(pattern)} ${problem.message}`,
      ...(problem.suggestion === undefined ? {} : { suggestion: problem.suggestion }),
      location: at(file, [...segments, String(index)]),
    });
  });
}

function checkBlocks(file: ParsedConfigFile, options: SemanticOptions, findings: Finding[]): void {
  for (const { segments, block } of allBlocks(file.data, "deploy")) {
    checkCommand(file, [...segments, "startCommand"], block.startCommand, findings);
    const preDeploy = block.preDeployCommand;
    if (typeof preDeploy === "string")
      checkCommand(file, [...segments, "preDeployCommand"], preDeploy, findings);
    if (Array.isArray(preDeploy))
      preDeploy.forEach((command, index) => {
        checkCommand(file, [...segments, "preDeployCommand", String(index)], command, findings);
      });
    checkUrlPath(file, [...segments, "healthcheckPath"], block.healthcheckPath, findings);
    checkCron(file, [...segments, "cronSchedule"], block.cronSchedule, findings);
  }
  for (const { segments, block } of allBlocks(file.data, "build")) {
    checkWatchPatterns(file, [...segments, "watchPatterns"], block.watchPatterns, findings);
    const dockerfilePath = block.dockerfilePath;
    if (typeof dockerfilePath === "string" && climbsAboveRoot(file.rootDirectory, dockerfilePath)) {
      findings.push({
        severity: "error",
        code: "dockerfile-outside-repository",
        message: `Dockerfile path ${quote(dockerfilePath)} climbs above the repository root; Railway builds only from files inside the repository`,
        suggestion:
          "paths are relative to the folder of the config file; a leading `/` starts at the repository root",
        location: at(file, [...segments, "dockerfilePath"]),
      });
    } else if (typeof dockerfilePath === "string" && options.checkFilesystem) {
      const missing = missingDockerfile(file, options, dockerfilePath);
      if (missing !== undefined) {
        const looked = missing.looked.filter((path) => path !== "").map((path) => clip(path));
        findings.push({
          severity: "error",
          code: "dockerfile-not-found",
          message: `Dockerfile ${quote(dockerfilePath)} not found (looked for ${looked.length > 0 ? looked.join(" and ") : "an empty path"})`,
          suggestion: dockerfileSuggestion(file, options),
          location: at(file, [...segments, "dockerfilePath"]),
        });
      }
    }
  }
}

/** A DOCKERFILE builder with no dockerfilePath reads `Dockerfile` in the service root. */
function checkDefaultDockerfile(file: ParsedConfigFile, options: SemanticOptions, findings: Finding[]): void {
  if (!options.checkFilesystem) return;
  const services = Object.keys(tableAt(file.data, ["services"]) ?? {});
  const contexts: (string | undefined)[] = services.length > 0 ? services : [undefined];
  const environments: (string | undefined)[] = [undefined, ...environmentNames(file.data)];
  const reported = new Set<string>();
  for (const service of contexts) {
    for (const environment of environments) {
      const merged = mergeLayers(layers(file.data, service, environment, "build"));
      const builder = merged.get("builder");
      if (typeof builder?.value !== "string" || builder.value.toUpperCase() !== "DOCKERFILE") continue;
      const path = merged.get("dockerfilePath")?.value;
      if (typeof path === "string") continue;
      const missing = missingDockerfile(file, options, "Dockerfile");
      if (missing === undefined) continue;
      const location = at(file, builder.segments);
      const identity = `${location.line}:${location.column}`;
      if (reported.has(identity)) continue;
      reported.add(identity);
      findings.push({
        severity: "error",
        code: "dockerfile-not-found",
        message: `builder is DOCKERFILE but there is no Dockerfile at ${missing.looked.join(" or ")}`,
        suggestion: "add the Dockerfile, or set `dockerfilePath`",
        location,
      });
    }
  }
}

function checkEnvironmentNames(file: ParsedConfigFile, options: SemanticOptions, findings: Finding[]): void {
  const known = options.environments;
  if (known === undefined) return;
  const check = (segments: string[]) => {
    for (const name of Object.keys(tableAt(file.data, segments) ?? {})) {
      if (name === "pr" || known.includes(name)) continue;
      const near =
        closest(name, [...known, "pr"]) ??
        known.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
      findings.push({
        severity: "error",
        code: "unknown-environment",
        message: `environment \`${clip(name)}\` does not exist in the Railway project (it has ${known.length === 0 ? "none" : known.map((k) => `\`${clip(k)}\``).join(", ")}; \`pr\` means PR environments)`,
        ...(near === undefined ? {} : { suggestion: `did you mean \`${near}\`?` }),
        location: at(file, [...segments, name], "key"),
      });
    }
  };
  check(["environments"]);
  for (const service of Object.keys(tableAt(file.data, ["services"]) ?? {}))
    check(["services", service, "environments"]);
}

function checkServiceTables(file: ParsedConfigFile, findings: Finding[]): void {
  const services = tableAt(file.data, ["services"]) ?? {};
  const fileVariables = tableAt(file.data, ["variables"]);
  for (const [name, service] of Object.entries(services)) {
    if (!isTable(service)) continue;
    const smoke = service.smoke;
    if (isTable(smoke)) {
      for (const key of ["versionPath", "healthPath", "buildInfoPath"]) {
        checkUrlPath(file, ["services", name, "smoke", key], smoke[key], findings, false);
      }
    }
    // Required names declared twice, or both required and set, across file and service level.
    const serviceVariables = tableAt(service, ["variables"]);
    // A literal set value always satisfies a requirement; a reference (`${{ api.X }}`) may render
    // empty, so requiring it as well is the check that it does not.
    const setNames = new Set(
      [
        ...Object.entries(tableAt(fileVariables, ["set"]) ?? {}),
        ...Object.entries(tableAt(serviceVariables, ["set"]) ?? {}),
      ]
        .filter(([, value]) => !(typeof value === "string" && value.includes("${{")))
        .map(([key]) => key),
    );
    const seen = new Set<string>();
    const scopes: [string[], unknown][] = [
      [["variables", "required"], fileVariables?.required],
      [["services", name, "variables", "required"], serviceVariables?.required],
    ];
    for (const [segments, list] of scopes) {
      if (!Array.isArray(list)) continue;
      list.forEach((variable, index) => {
        if (typeof variable !== "string") return;
        const location = at(file, [...segments, String(index)]);
        if (seen.has(variable)) {
          findings.push({
            severity: "warning",
            code: "duplicate-variable",
            message: `\`${variable}\` is required twice for service \`${name}\``,
            location,
          });
        } else if (setNames.has(variable)) {
          findings.push({
            severity: "warning",
            code: "required-and-set",
            message: `\`${variable}\` is both required and set for service \`${name}\`; the set value always satisfies the requirement`,
            suggestion: `remove \`${variable}\` from \`required\``,
            location,
          });
        }
        seen.add(variable);
      });
    }
  }
}

/** All single-file checks. */
export function fileFindings(file: ParsedConfigFile, options: SemanticOptions): Finding[] {
  const findings: Finding[] = [];
  if (!isTable(file.data)) return findings;
  checkBlocks(file, options, findings);
  checkDefaultDockerfile(file, options, findings);
  checkEnvironmentNames(file, options, findings);
  checkServiceTables(file, findings);
  return findings;
}

/** Checks across files: unique names, dependsOn references and cycles, one smoke API and frontend. */
export function crossFileFindings(
  services: ServiceConfig[],
  dependsOnLocations: Map<ServiceConfig, SourceLocation[]>,
): Finding[] {
  const findings: Finding[] = [];
  const firstByName = new Map<string, ServiceConfig>();
  for (const service of services) {
    const first = firstByName.get(service.name);
    if (first === undefined) {
      firstByName.set(service.name, service);
      continue;
    }
    findings.push({
      severity: "error",
      code: "duplicate-service",
      message: `service \`${service.name}\` is already defined in ${first.file}:${first.location.line}`,
      location: service.location,
    });
  }
  const names = [...firstByName.keys()];
  for (const service of services) {
    const locations = dependsOnLocations.get(service) ?? [];
    service.dependsOn.forEach((dependency, index) => {
      const location = locations[index] ?? service.location;
      if (dependency === service.name) {
        findings.push({
          severity: "error",
          code: "depends-on-self",
          message: `service \`${service.name}\` depends on itself`,
          location,
        });
      } else if (!firstByName.has(dependency)) {
        const near = closest(dependency, names);
        findings.push({
          severity: "error",
          code: "unknown-service",
          message: `\`dependsOn\` names \`${clip(dependency)}\`, which no railway.toml defines`,
          ...(near === undefined ? {} : { suggestion: `did you mean \`${near}\`?` }),
          location,
        });
      }
    });
  }
  // Cycles: depth-first search over first definitions; report each cycle once. Iterative, so
  // a 6,000-long dependsOn chain does not exhaust the call stack.
  const state = new Map<string, "visiting" | "done">();
  const reportedCycles = new Set<string>();
  for (const root of names) {
    if (state.get(root) !== undefined) continue;
    const stack: { name: string; next: number }[] = [{ name: root, next: 0 }];
    state.set(root, "visiting");
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { name: string; next: number };
      const name = frame.name;
      const service = firstByName.get(name);
      const dependsOn = service?.dependsOn ?? [];
      if (frame.next >= dependsOn.length) {
        state.set(name, "done");
        stack.pop();
        continue;
      }
      const index = frame.next++;
      const dependency = dependsOn[index] as string;
      if (dependency === name || !firstByName.has(dependency)) continue;
      if (state.get(dependency) === "visiting") {
        const trail = stack.map((f) => f.name);
        const cycle = [...trail.slice(trail.indexOf(dependency)), dependency];
        const identity = [...new Set(cycle)].sort().join(",");
        if (reportedCycles.has(identity)) continue;
        reportedCycles.add(identity);
        findings.push({
          severity: "error",
          code: "dependency-cycle",
          message: `services depend on each other in a cycle: ${cycle.join(" → ")}`,
          location: (service && dependsOnLocations.get(service)?.[index]) ??
            service?.location ?? { file: "", line: 1, column: 1 },
        });
      } else if (state.get(dependency) === undefined) {
        state.set(dependency, "visiting");
        stack.push({ name: dependency, next: 0 });
      }
    }
  }

  for (const role of ["api", "frontend"] as const) {
    const withRole = services.filter((service) => service.smoke?.role === role);
    for (const extra of withRole.slice(1)) {
      const first = withRole[0] as ServiceConfig;
      findings.push({
        severity: "error",
        code: "duplicate-smoke-role",
        message: `service \`${extra.name}\` and service \`${first.name}\` both have smoke role \`${role}\`; the smoke test needs exactly one`,
        location: extra.location,
      });
    }
  }
  return findings;
}
