// The effective settings of the project's real services, as the pipeline will apply
// them, in production and in PR environments.

import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type LoadedConfig, loadConfig, resolveServiceSettings, UnknownServiceError } from "./index.ts";

const repoDir = fileURLToPath(new URL("../../../", import.meta.url));

const backendBase = {
  builder: "DOCKERFILE",
  dockerfilePath: "Dockerfile",
  watchPatterns: ["/backend/**", "!/backend/test/**", "!/backend/**/*.md"],
  restartPolicyType: "ON_FAILURE",
  overlapSeconds: 10,
  drainingSeconds: 30,
  rootDirectory: "/backend",
};

const frontend = {
  builder: "RAILPACK",
  buildCommand: "npm install && npm run build",
  watchPatterns: ["/frontend/**", "!/frontend/**/*.md", "!/frontend/test/**"],
  startCommand: "npm start",
  healthcheckPath: "/healthz",
  healthcheckTimeout: 120,
  restartPolicyType: "ON_FAILURE",
  restartPolicyMaxRetries: 3,
  rootDirectory: "/frontend",
};

let config: LoadedConfig;

beforeAll(async () => {
  config = await loadConfig({
    repoDir,
    files: ["backend/railway.toml", "frontend/railway.toml"],
    checkFilesystem: false,
  });
});

describe("resolveServiceSettings on backend/railway.toml and frontend/railway.toml", () => {
  it.each([
    [
      "api",
      "production",
      {
        ...backendBase,
        restartPolicyMaxRetries: 5,
        preDeployCommand: ["node dist/migrate.js"],
        healthcheckPath: "/ready",
        healthcheckTimeout: 120,
      },
    ],
    [
      "api",
      "pr",
      {
        ...backendBase,
        restartPolicyMaxRetries: 1,
        preDeployCommand: ["node dist/migrate.js"],
        healthcheckPath: "/ready",
        healthcheckTimeout: 120,
      },
    ],
    ["data-poller", "production", { ...backendBase, restartPolicyMaxRetries: 5 }],
    ["data-poller", "pr", { ...backendBase, restartPolicyMaxRetries: 1 }],
    // The service block sets ALWAYS and 10 retries; the file's [environments.pr] block
    // is more specific than a service block, so PR environments get 1 retry.
    [
      "trading-engine",
      "production",
      { ...backendBase, restartPolicyType: "ALWAYS", restartPolicyMaxRetries: 10 },
    ],
    ["trading-engine", "pr", { ...backendBase, restartPolicyType: "ALWAYS", restartPolicyMaxRetries: 1 }],
    ["frontend", "production", frontend],
    ["frontend", "pr", frontend],
  ])("%s in %s", (service, environment, expected) => {
    expect(resolveServiceSettings(config, service, environment)).toEqual(expected);
  });

  it("declares the services with their variables, dependencies and smoke roles", () => {
    expect(
      config.services.map(
        ({ name, file, rootDirectory, requiredVariables, fixedVariables, dependsOn, smoke }) => ({
          name,
          file,
          rootDirectory,
          required: requiredVariables.map((variable) => variable.name),
          fixedVariables,
          dependsOn,
          smoke,
        }),
      ),
    ).toEqual([
      {
        name: "api",
        file: "backend/railway.toml",
        rootDirectory: "/backend",
        required: [
          "USER_DATABASE_URL",
          "GENERAL_DATABASE_URL",
          "REDIS_URL",
          "MASTER_ENCRYPTION_KEY",
          "CORS_ORIGIN",
        ],
        fixedVariables: {
          USER_DATABASE_URL: "${{User Data DB.DATABASE_URL}}",
          GENERAL_DATABASE_URL: "${{General Data DB.DATABASE_URL}}",
          REDIS_URL: "${{Redis.REDIS_URL}}",
          CONTAINER_ROLE: "api",
          CORS_ORIGIN: "https://${{frontend.RAILWAY_PUBLIC_DOMAIN}}",
        },
        dependsOn: [],
        smoke: { role: "api", versionPath: "/version" },
      },
      {
        name: "data-poller",
        file: "backend/railway.toml",
        rootDirectory: "/backend",
        required: ["USER_DATABASE_URL", "GENERAL_DATABASE_URL", "REDIS_URL", "MASTER_ENCRYPTION_KEY"],
        fixedVariables: {
          USER_DATABASE_URL: "${{User Data DB.DATABASE_URL}}",
          GENERAL_DATABASE_URL: "${{General Data DB.DATABASE_URL}}",
          REDIS_URL: "${{Redis.REDIS_URL}}",
          CONTAINER_ROLE: "data-poller",
          MASTER_ENCRYPTION_KEY: "${{api.MASTER_ENCRYPTION_KEY}}",
        },
        dependsOn: ["api"],
        smoke: undefined,
      },
      {
        name: "trading-engine",
        file: "backend/railway.toml",
        rootDirectory: "/backend",
        required: ["USER_DATABASE_URL", "GENERAL_DATABASE_URL", "REDIS_URL", "MASTER_ENCRYPTION_KEY"],
        fixedVariables: {
          USER_DATABASE_URL: "${{User Data DB.DATABASE_URL}}",
          GENERAL_DATABASE_URL: "${{General Data DB.DATABASE_URL}}",
          REDIS_URL: "${{Redis.REDIS_URL}}",
          CONTAINER_ROLE: "trading-engine",
          MASTER_ENCRYPTION_KEY: "${{api.MASTER_ENCRYPTION_KEY}}",
        },
        dependsOn: ["api"],
        smoke: undefined,
      },
      {
        name: "frontend",
        file: "frontend/railway.toml",
        rootDirectory: "/frontend",
        required: ["NEXT_PUBLIC_API_URL"],
        fixedVariables: { NEXT_PUBLIC_API_URL: "https://${{api.RAILWAY_PUBLIC_DOMAIN}}" },
        dependsOn: [],
        smoke: { role: "frontend", buildInfoPath: "/healthz", apiUrlVariable: "NEXT_PUBLIC_API_URL" },
      },
    ]);
    const api = config.services[0];
    expect(api?.location).toEqual({
      file: "backend/railway.toml",
      line: 44,
      column: 11,
      endLine: 44,
      endColumn: 14,
    });
    expect(api?.requiredVariables.at(-1)?.location).toEqual({
      file: "backend/railway.toml",
      line: 52,
      column: 13,
      endLine: 52,
      endColumn: 26,
    });
  });

  it("throws a typed error for a service no file defines", () => {
    expect(() => resolveServiceSettings(config, "postgres", "production")).toThrow(UnknownServiceError);
  });
});

describe("resolveServiceSettings precedence and normalisation", () => {
  const file = {
    path: "svc/railway.json",
    rootDirectory: "/svc",
    data: {
      build: { builder: "dockerfile", watchPatterns: null, buildCommand: "make" },
      deploy: {
        preDeployCommand: "npm run migrate",
        restartPolicyType: "never",
        numReplicas: 1,
        startCommand: "a",
      },
      environments: {
        staging: { deploy: { numReplicas: 2, startCommand: null }, build: { builder: "NIXPACKS" } },
      },
      services: {
        web: {
          deploy: { numReplicas: 3, multiRegionConfig: { "us-west2": { numReplicas: 2 } } },
          environments: { staging: { deploy: { numReplicas: 4 } } },
        },
      },
    },
  };
  const service = {
    name: "web",
    file: "svc/railway.json",
    rootDirectory: "/svc",
    requiredVariables: [],
    fixedVariables: {},
    dependsOn: [],
    location: { file: "svc/railway.json", line: 1, column: 1 },
  };
  const loaded = { files: [file], services: [service] };

  it("applies base → service → file environment → service environment", () => {
    expect(resolveServiceSettings(loaded, "web", "production")).toEqual({
      builder: "DOCKERFILE",
      watchPatterns: [],
      buildCommand: "make",
      preDeployCommand: ["npm run migrate"],
      restartPolicyType: "NEVER",
      numReplicas: 3,
      startCommand: "a",
      multiRegionConfig: { "us-west2": { numReplicas: 2 } },
      rootDirectory: "/svc",
    });
    expect(resolveServiceSettings(loaded, "web", "staging")).toEqual({
      builder: "NIXPACKS",
      watchPatterns: [],
      buildCommand: "make",
      preDeployCommand: ["npm run migrate"],
      restartPolicyType: "NEVER",
      numReplicas: 4,
      startCommand: null,
      multiRegionConfig: { "us-west2": { numReplicas: 2 } },
      rootDirectory: "/svc",
    });
  });

  it("never returns a key whose value is undefined", () => {
    const settings = resolveServiceSettings(loaded, "web", "staging");
    expect(Object.values(settings).some((value) => value === undefined)).toBe(false);
  });
});
