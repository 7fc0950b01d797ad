// The emulator's state file (documented in emulator/README.md, example in emulator/examples/stack.json):
// projects with environments, services, variables, triggers and domains, plus API tokens.
// Loading checks every field and names the bad one by its JSON path (and line for syntax errors).

import { readFileSync } from "node:fs";
import type { InstanceSettings } from "./railway-types.ts";

export interface EmulatorStateFile {
  projects: ProjectFile[];
  tokens: TokenFile[];
  /** Requests per hour per token before 429 (default 10,000, Railway's Pro plan). */
  rateLimitPerHour?: number;
}

export interface ProjectFile {
  id: string;
  name: string;
  environments: { id: string; name: string; isEphemeral?: boolean }[];
  services: ServiceFile[];
  /** Shared variables per environment (name or id). */
  sharedVariables?: Record<string, Record<string, string>>;
  /** The workspace the project belongs to (default: one named after the project). */
  workspace?: { id: string; name: string };
  /** Storage buckets of the project (listed; the emulator stores nothing in them). */
  buckets?: { id: string; name: string }[];
}

export interface ServiceFile {
  id: string;
  name: string;
  /** A GitHub-style source ("owner/repo") the service deploys from, or a Docker image. */
  source?: { repo?: string; image?: string } | null;
  /** Provided by the machine (e.g. the local PostgreSQL): never deployed by the emulator. */
  external?: boolean;
  /** Settings for every environment, then per environment (name or id). */
  settings?: InstanceSettings;
  instances?: Record<string, InstanceSettings>;
  /** Service variables per environment (name or id); values may hold ${{ ... }} references. */
  variables?: Record<string, Record<string, string>>;
  /** Autodeploy triggers ("deploy on push to branch", optionally waiting for CI check suites). */
  triggers?: { environment: string; branch: string; repository?: string; checkSuites?: boolean }[];
  /** Volumes the service mounts, each in one environment (name or id; default the first). */
  volumes?: { id?: string; name: string; environment?: string; mountPath: string; sizeMB?: number }[];
  customDomains?: {
    environment: string;
    domain: string;
    verified?: boolean;
    certificateStatus?: string;
  }[];
}

export type TokenFile =
  | { kind: "account"; token: string; name?: string; projects?: string[]; readOnly?: boolean }
  | { kind: "project"; token: string; name?: string; project: string; environment: string };

export class StateFileError extends Error {
  override name = "StateFileError";
}

export function readStateFile(path: string): EmulatorStateFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new StateFileError(
      `${path}: cannot read the state file (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const pos = /position (\d+)/.exec(message);
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split("\n").length;
      const column = Number(pos[1]) - before.lastIndexOf("\n");
      throw new StateFileError(
        `${path}:${line}:${column}: invalid JSON (${message.replace(/ in JSON at position \d+.*$/, "")})`,
      );
    }
    throw new StateFileError(`${path}: invalid JSON (${message})`);
  }
  return validateStateFile(json, path);
}

const BUILDERS = ["RAILPACK", "DOCKERFILE", "NIXPACKS", "HEROKU", "PAKETO"];
const RESTART = ["ON_FAILURE", "ALWAYS", "NEVER"];

export function validateStateFile(json: unknown, source = "state"): EmulatorStateFile {
  const fail = (path: string, problem: string): never => {
    throw new StateFileError(`${source}: ${path}: ${problem}`);
  };
  const obj = (v: unknown, path: string): Record<string, unknown> => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, "must be an object");
    return v as Record<string, unknown>;
  };
  const arr = (v: unknown, path: string): unknown[] => {
    if (!Array.isArray(v)) fail(path, "must be an array");
    return v as unknown[];
  };
  const str = (v: unknown, path: string): string => {
    if (typeof v !== "string" || v === "") fail(path, "must be a non-empty string");
    return v as string;
  };
  const stringMap = (v: unknown, path: string) => {
    for (const [k, value] of Object.entries(obj(v, path))) {
      if (typeof value !== "string") fail(`${path}.${k}`, "must be a string (variable values are strings)");
    }
  };
  const settings = (v: unknown, path: string) => {
    const s = obj(v, path);
    if (s.builder !== undefined && !BUILDERS.includes(String(s.builder))) {
      fail(`${path}.builder`, `must be one of ${BUILDERS.join(", ")}`);
    }
    if (s.restartPolicyType !== undefined && !RESTART.includes(String(s.restartPolicyType))) {
      fail(`${path}.restartPolicyType`, `must be one of ${RESTART.join(", ")}`);
    }
  };

  const root = obj(json, "(top level)");
  for (const key of Object.keys(root)) {
    if (!["projects", "tokens", "rateLimitPerHour", "$comment"].includes(key)) fail(key, "unknown key");
  }
  const projectIds = new Set<string>();
  const envNamesByProject = new Map<string, Set<string>>();
  arr(root.projects, "projects").forEach((p, i) => {
    const path = `projects[${i}]`;
    const project = obj(p, path);
    const id = str(project.id, `${path}.id`);
    str(project.name, `${path}.name`);
    if (projectIds.has(id)) fail(`${path}.id`, `duplicate project id "${id}"`);
    projectIds.add(id);
    const envKeys = new Set<string>();
    arr(project.environments, `${path}.environments`).forEach((e, j) => {
      const env = obj(e, `${path}.environments[${j}]`);
      envKeys.add(str(env.id, `${path}.environments[${j}].id`));
      envKeys.add(str(env.name, `${path}.environments[${j}].name`));
    });
    envNamesByProject.set(id, envKeys);
    const envRef = (v: string, at: string) => {
      if (!envKeys.has(v)) fail(at, `no environment named or with id "${v}" in project "${id}"`);
    };
    if (project.workspace !== undefined) {
      const workspace = obj(project.workspace, `${path}.workspace`);
      str(workspace.id, `${path}.workspace.id`);
      str(workspace.name, `${path}.workspace.name`);
    }
    if (project.buckets !== undefined) {
      arr(project.buckets, `${path}.buckets`).forEach((b, n) => {
        const bucket = obj(b, `${path}.buckets[${n}]`);
        str(bucket.id, `${path}.buckets[${n}].id`);
        str(bucket.name, `${path}.buckets[${n}].name`);
      });
    }
    if (project.sharedVariables !== undefined) {
      for (const [env, vars] of Object.entries(obj(project.sharedVariables, `${path}.sharedVariables`))) {
        envRef(env, `${path}.sharedVariables.${env}`);
        stringMap(vars, `${path}.sharedVariables.${env}`);
      }
    }
    const serviceNames = new Set<string>();
    arr(project.services, `${path}.services`).forEach((s, k) => {
      const sp = `${path}.services[${k}]`;
      const service = obj(s, sp);
      str(service.id, `${sp}.id`);
      const name = str(service.name, `${sp}.name`);
      if (serviceNames.has(name)) fail(`${sp}.name`, `duplicate service name "${name}"`);
      serviceNames.add(name);
      if (service.settings !== undefined) settings(service.settings, `${sp}.settings`);
      if (service.instances !== undefined) {
        for (const [env, value] of Object.entries(obj(service.instances, `${sp}.instances`))) {
          envRef(env, `${sp}.instances.${env}`);
          settings(value, `${sp}.instances.${env}`);
        }
      }
      if (service.variables !== undefined) {
        for (const [env, vars] of Object.entries(obj(service.variables, `${sp}.variables`))) {
          envRef(env, `${sp}.variables.${env}`);
          stringMap(vars, `${sp}.variables.${env}`);
        }
      }
      if (service.triggers !== undefined) {
        arr(service.triggers, `${sp}.triggers`).forEach((t, n) => {
          const trigger = obj(t, `${sp}.triggers[${n}]`);
          envRef(
            str(trigger.environment, `${sp}.triggers[${n}].environment`),
            `${sp}.triggers[${n}].environment`,
          );
          str(trigger.branch, `${sp}.triggers[${n}].branch`);
        });
      }
      if (service.volumes !== undefined) {
        arr(service.volumes, `${sp}.volumes`).forEach((v, n) => {
          const volume = obj(v, `${sp}.volumes[${n}]`);
          if (volume.id !== undefined) str(volume.id, `${sp}.volumes[${n}].id`);
          str(volume.name, `${sp}.volumes[${n}].name`);
          if (volume.environment !== undefined)
            envRef(
              str(volume.environment, `${sp}.volumes[${n}].environment`),
              `${sp}.volumes[${n}].environment`,
            );
          const mount = str(volume.mountPath, `${sp}.volumes[${n}].mountPath`);
          if (!mount.startsWith("/")) fail(`${sp}.volumes[${n}].mountPath`, "must be an absolute path");
          if (volume.sizeMB !== undefined && !(Number.isInteger(volume.sizeMB) && Number(volume.sizeMB) > 0))
            fail(`${sp}.volumes[${n}].sizeMB`, "must be a positive integer");
        });
      }
      if (service.customDomains !== undefined) {
        arr(service.customDomains, `${sp}.customDomains`).forEach((d, n) => {
          const domain = obj(d, `${sp}.customDomains[${n}]`);
          envRef(
            str(domain.environment, `${sp}.customDomains[${n}].environment`),
            `${sp}.customDomains[${n}].environment`,
          );
          str(domain.domain, `${sp}.customDomains[${n}].domain`);
        });
      }
    });
  });
  arr(root.tokens, "tokens").forEach((t, i) => {
    const path = `tokens[${i}]`;
    const token = obj(t, path);
    str(token.token, `${path}.token`);
    if (token.kind === "project") {
      const project = str(token.project, `${path}.project`);
      if (!projectIds.has(project)) fail(`${path}.project`, `no project with id "${project}"`);
      const env = str(token.environment, `${path}.environment`);
      if (!envNamesByProject.get(project)?.has(env))
        fail(`${path}.environment`, `no environment "${env}" in project "${project}"`);
    } else if (token.kind !== "account") {
      fail(`${path}.kind`, 'must be "account" or "project"');
    }
  });
  if (
    root.rateLimitPerHour !== undefined &&
    !(Number.isInteger(root.rateLimitPerHour) && Number(root.rateLimitPerHour) > 0)
  ) {
    fail("rateLimitPerHour", "must be a positive integer");
  }
  return json as EmulatorStateFile;
}
