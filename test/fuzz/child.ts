// The fuzzer's worker process: reads one JSON request per stdin line, runs the config path
// on the repo folder it names and answers with the broken invariants. Runs in a child
// process so the parent can time each input out (a hang) and survive a fatal crash.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import {
  acceptedBadNames,
  countLines,
  describeThrown,
  FUZZ_ENVIRONMENTS,
  isValidResult,
  type LoadResultLike,
  resultViolations,
  serviceNames,
  settingsViolations,
} from "./invariants.ts";

export interface FuzzRequest {
  id: number;
  repoDir: string;
  /** Repo-relative paths of the railway.toml files written for this input. */
  files: string[];
  environments?: string[];
}

export interface FuzzAnswer {
  id: number;
  violations: string[];
  services: number;
  errors: number;
  warnings: number;
  valid: boolean;
  /** Set when the config module could not be loaded at all (not a finding about the input). */
  unavailable?: string;
}

interface ConfigModule {
  loadConfig(options: {
    repoDir: string;
    files?: string[];
    environments?: string[];
  }): Promise<LoadResultLike>;
  resolveServiceSettings(config: unknown, serviceName: string, env: string): unknown;
}

const configModuleUrl = pathToFileURL(join(import.meta.dirname, "../../action/src/config/index.ts")).href;

async function loadConfigModule(): Promise<ConfigModule | string> {
  try {
    const module = (await import(configModuleUrl)) as Partial<ConfigModule>;
    if (typeof module.loadConfig !== "function" || typeof module.resolveServiceSettings !== "function")
      return "action/src/config/index.ts does not export loadConfig and resolveServiceSettings";
    return module as ConfigModule;
  } catch (error) {
    return `action/src/config/index.ts could not be loaded: ${describeThrown(error)}`;
  }
}

export async function checkInput(config: ConfigModule, request: FuzzRequest): Promise<FuzzAnswer> {
  const lineCounts = new Map<string, number>();
  for (const file of request.files) {
    lineCounts.set(file, countLines(readFileSync(join(request.repoDir, file), "latin1")));
  }
  const answer: FuzzAnswer = {
    id: request.id,
    violations: [],
    services: 0,
    errors: 0,
    warnings: 0,
    valid: false,
  };
  let result: LoadResultLike;
  try {
    result = await config.loadConfig({
      repoDir: request.repoDir,
      files: request.files,
      ...(request.environments ? { environments: request.environments } : {}),
    });
  } catch (error) {
    answer.violations.push(`loadConfig threw ${describeThrown(error)}`);
    return answer;
  }
  answer.violations.push(...resultViolations(result, lineCounts));
  if (Array.isArray(result.findings)) {
    for (const finding of result.findings as { severity?: unknown }[]) {
      if (finding?.severity === "error") answer.errors += 1;
      else answer.warnings += 1;
    }
  }
  const names = serviceNames(result);
  answer.services = names.length;
  answer.valid = isValidResult(result);
  answer.violations.push(...acceptedBadNames(result));
  if (answer.valid) {
    for (const name of names) {
      for (const env of FUZZ_ENVIRONMENTS) {
        try {
          const settings = config.resolveServiceSettings(result, name, env);
          if (settings === undefined || settings === null)
            answer.violations.push(
              `resolveServiceSettings(${JSON.stringify(name)}, ${env}) returned ${settings}`,
            );
          else answer.violations.push(...settingsViolations(name, settings));
        } catch (error) {
          answer.violations.push(
            `resolveServiceSettings(${JSON.stringify(name)}, ${env}) threw ${describeThrown(error)}`,
          );
        }
      }
    }
  }
  return answer;
}

async function serve(): Promise<void> {
  const config = await loadConfigModule();
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    const request = JSON.parse(line) as FuzzRequest;
    const answer: FuzzAnswer =
      typeof config === "string"
        ? {
            id: request.id,
            violations: [],
            services: 0,
            errors: 0,
            warnings: 0,
            valid: false,
            unavailable: config,
          }
        : await checkInput(config, request);
    // readline splits on U+2028/U+2029 too, which JSON.stringify leaves raw.
    process.stdout.write(
      `${JSON.stringify(answer)
        .replace(/\u2028/g, "\\u2028")
        .replace(/\u2029/g, "\\u2029")}\n`,
    );
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  // Anything the config path prints would corrupt the answer stream: send it to stderr.
  console.log = console.error;
  console.info = console.error;
  await serve();
}
