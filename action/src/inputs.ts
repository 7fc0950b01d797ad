// Every input is read and validated once, into one typed settings object. Errors name the
// input and the expected form. The action (INPUT_* variables) and the CLI (flags) share it.
import { existsSync } from "node:fs";
import { LinkError, parseServiceConfigs } from "./config/mapping.ts";
import type { Mode, PipelineOptions } from "./pipeline/types.ts";

export const DEFAULT_ENDPOINT = "https://backboard.railway.com/graphql/v2";
export const BROWSERS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export interface Settings {
  mode: Mode;
  token?: string;
  projectId?: string;
  environment: string;
  services?: string[] | "all";
  configFiles?: string[];
  /** Plain railway.toml files linked to Railway services: service name → repo-relative file. */
  serviceConfigs?: Record<string, string>;
  apiUrl?: string;
  frontendUrl?: string;
  endpoint: string;
  timeoutMinutes: number;
  smokeTimeoutMinutes: number;
  /** Deployments in flight at once; Infinity: all (the default). */
  concurrency: number;
  rollback: boolean;
  /** Delete Railway services and databases no railway.toml declares (default false: list them only). */
  deleteUndeclared: boolean;
  smoke: boolean;
  browserPath?: string;
  stabilitySeconds: number;
  githubToken?: string;
  workingDirectory: string;
  commitSha?: string;
  /** The token came with surrounding whitespace (a trailing newline from a file or a paste): removed. */
  tokenTrimmed?: boolean;
}

export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`input ${input}: ${message}`);
  }
}

/** Reads one input by its action.yml name; "" when unset. */
export type InputReader = (name: string) => string;

/** Railway service names: letters, digits, spaces, dot, dash, underscore ("User Data DB"). */
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const COMMIT = /^[0-9a-f]{7,40}$/i;

function list(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function bool(name: string, value: string, fallback: boolean): boolean {
  if (value === "") return fallback;
  if (/^(true|yes|on|1)$/i.test(value)) return true;
  if (/^(false|no|off|0)$/i.test(value)) return false;
  throw new InputError(name, `expected true or false, got ${JSON.stringify(value.slice(0, 40))}`);
}

function number(
  name: string,
  value: string,
  fallback: number,
  range: { min: number; max: number; integer?: boolean },
): number {
  if (value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || (range.integer && !Number.isInteger(parsed))) {
    throw new InputError(
      name,
      `expected ${range.integer ? "a whole number" : "a number"}, got ${JSON.stringify(value.slice(0, 40))}`,
    );
  }
  if (parsed < range.min || parsed > range.max) {
    throw new InputError(name, `expected a value from ${range.min} to ${range.max}, got ${parsed}`);
  }
  return parsed;
}

/**
 * How many deployments may run at once: all (the default: Railway queues builds itself, so
 * holding deployments back only adds a round trip and a status message per wave) or 1 to 64.
 * Decision: docs/decisions/0142-all-deployments-at-once.md.
 */
function concurrency(value: string): number {
  if (value === "" || value === "all") return Number.POSITIVE_INFINITY;
  return number("concurrency", value, Number.POSITIVE_INFINITY, { min: 1, max: 64, integer: true });
}

function url(name: string, value: string): string | undefined {
  if (value === "") return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new InputError(
      name,
      `expected an http(s) URL such as https://api.example.com, got ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new InputError(name, `expected an http:// or https:// URL, got ${parsed.protocol}`);
  }
  if (parsed.username || parsed.password) throw new InputError(name, "must not carry credentials");
  return value.replace(/\/+$/, "");
}

export function readSettings(read: InputReader): Settings {
  const get = (name: string) => read(name).trim();
  const mode = get("mode") || "deploy";
  if (!["validate", "plan", "deploy", "redeploy"].includes(mode)) {
    throw new InputError(
      "mode",
      `expected validate, plan, deploy or redeploy, got ${JSON.stringify(mode.slice(0, 40))}`,
    );
  }
  const environment = get("environment") || "production";
  if (!ENVIRONMENT_NAME.test(environment)) {
    throw new InputError(
      "environment",
      `expected a Railway environment name (letters, digits, . _ -), got ${JSON.stringify(environment.slice(0, 64))}`,
    );
  }
  const projectId = get("project-id") || undefined;
  if (projectId && !PROJECT_ID.test(projectId)) {
    throw new InputError("project-id", "expected a Railway project id such as 0f4c1d7e-…");
  }
  const servicesRaw = get("services");
  let services: string[] | "all" | undefined;
  if (servicesRaw === "all") services = "all";
  else if (servicesRaw !== "") {
    services = list(servicesRaw);
    const bad = services.find((name) => !SERVICE_NAME.test(name) || name === "all");
    if (bad !== undefined) {
      throw new InputError(
        "services",
        `${JSON.stringify(bad.slice(0, 64))} is not a service name (letters, digits, spaces, . _ -); write "all" alone for every service`,
      );
    }
  }
  const configFiles = get("config-files") ? list(get("config-files")) : undefined;
  for (const file of configFiles ?? []) {
    if (file.startsWith("/") || file.split("/").includes("..")) {
      throw new InputError("config-files", `${JSON.stringify(file)} must be a path inside the repository`);
    }
  }
  let serviceConfigs: Record<string, string> | undefined;
  try {
    const links = parseServiceConfigs(get("service-configs"));
    if (links.size > 0) serviceConfigs = Object.fromEntries(links);
  } catch (error) {
    if (error instanceof LinkError) throw new InputError("service-configs", error.message);
    throw error;
  }
  for (const name of Object.keys(serviceConfigs ?? {})) {
    if (!SERVICE_NAME.test(name))
      throw new InputError("service-configs", `${JSON.stringify(name.slice(0, 64))} is not a service name`);
  }
  const commitSha = get("commit-sha") || undefined;
  if (commitSha && !COMMIT.test(commitSha))
    throw new InputError("commit-sha", "expected a commit sha (7 to 40 hex digits)");
  const endpoint = url("endpoint", get("endpoint")) ?? DEFAULT_ENDPOINT;
  const browserInput = get("browser-path");
  let browserPath: string | undefined;
  if (browserInput === "" || browserInput === "auto") browserPath = BROWSERS.find((path) => existsSync(path));
  else if (browserInput !== "none") {
    if (!browserInput.startsWith("/"))
      throw new InputError("browser-path", "expected an absolute path, auto or none");
    browserPath = browserInput;
  }
  const rawToken = read("railway-token");
  const token = rawToken.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
  if (/[\s\u0000-\u001f\u007f]/.test(token)) {
    throw new InputError(
      "railway-token",
      "the token holds whitespace or control characters inside it: copy the token again, in one piece",
    );
  }
  const settings: Settings = {
    mode: mode as Mode,
    token: token || undefined,
    ...(token !== "" && token !== rawToken ? { tokenTrimmed: true } : {}),
    projectId,
    environment,
    services,
    configFiles,
    serviceConfigs,
    apiUrl: url("api-url", get("api-url")),
    frontendUrl: url("frontend-url", get("frontend-url")),
    endpoint,
    timeoutMinutes: number("timeout-minutes", get("timeout-minutes"), 30, { min: 1, max: 360 }),
    smokeTimeoutMinutes: number("smoke-timeout-minutes", get("smoke-timeout-minutes"), 5, {
      min: 0.1,
      max: 60,
    }),
    concurrency: concurrency(get("concurrency")),
    rollback: bool("rollback", get("rollback"), true),
    deleteUndeclared: bool("delete-undeclared", get("delete-undeclared"), false),
    smoke: bool("smoke", get("smoke"), true),
    browserPath,
    stabilitySeconds: number("stability-seconds", get("stability-seconds"), 20, { min: 0, max: 600 }),
    githubToken: read("github-token") || undefined,
    workingDirectory: get("working-directory") || ".",
    commitSha,
  };
  if (settings.mode === "redeploy" && settings.services === undefined) settings.services = "all";
  if (settings.mode !== "validate" && !settings.token) {
    throw new InputError(
      "railway-token",
      `mode ${settings.mode} needs a Railway token (a project token for the environment, or an account token with project-id)`,
    );
  }
  return settings;
}

export function pipelineOptions(settings: Settings, repoDir: string, branch?: string): PipelineOptions {
  return {
    mode: settings.mode,
    repoDir,
    commitSha: settings.commitSha,
    branch,
    configFiles: settings.configFiles,
    serviceConfigs: settings.serviceConfigs,
    projectId: settings.projectId,
    environment: settings.environment,
    services: settings.services,
    timeoutMs: settings.timeoutMinutes * 60_000,
    concurrency: settings.concurrency,
    rollback: settings.rollback,
    deleteUndeclared: settings.deleteUndeclared,
    smoke: settings.smoke,
    smokeTimeoutMs: settings.smokeTimeoutMinutes * 60_000,
    stabilityMs: settings.stabilitySeconds * 1000,
    browserPath: settings.browserPath,
    apiUrl: settings.apiUrl,
    frontendUrl: settings.frontendUrl,
  };
}
