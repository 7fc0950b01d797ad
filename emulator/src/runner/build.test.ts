// The pure parts of the build: reading a Dockerfile the way the native approximation needs,
// the argv that stands in for the image's command, build cache keys and the passed-through env.

import { describe, expect, it } from "vitest";
import {
  BuildError,
  baseEnv,
  buildCacheKey,
  defaultBuildCommand,
  nativeImageCommand,
  parseDockerfile,
  parseImageCommand,
} from "./build.ts";

const MULTI_STAGE = `# syntax=docker/dockerfile:1
ARG NODE_VERSION=20
FROM node:\${NODE_VERSION}-slim AS deps
WORKDIR /app
COPY package*.json ./
RUN npm ci

FROM deps AS build
COPY . .
RUN npm run build \\
  # a comment inside a continuation
  && npm prune --omit=dev

FROM node:20-slim AS runtime
WORKDIR /srv
ENV NODE_ENV=production PORT_HINT="80 80" \\
    LOG_FORMAT=json
COPY --from=build /app/dist ./dist
USER node
CMD ["node", "/srv/dist/main.js"]
`;

describe("parseDockerfile", () => {
  it("finds the final stage's CMD, WORKDIR and ENV across stages and continuations", () => {
    const { stages, final } = parseDockerfile(MULTI_STAGE, "backend/Dockerfile");
    expect(stages.map((stage) => stage.name)).toEqual(["deps", "build", "runtime"]);
    expect(final.cmd).toEqual({ exec: ["node", "/srv/dist/main.js"] });
    expect(final.workdir).toBe("/srv");
    expect(final.env).toEqual({ NODE_ENV: "production", PORT_HINT: "80 80", LOG_FORMAT: "json" });
    expect(nativeImageCommand(final, "/work/src/backend")).toEqual([
      "node",
      "/work/src/backend/dist/main.js",
    ]);
  });

  it("inherits configuration from an earlier stage and combines ENTRYPOINT with CMD as Docker does", () => {
    const text = `FROM node:20 AS base
WORKDIR /app
ENV A=1
ENTRYPOINT ["node"]
CMD ["server.js"]
FROM base
ENV B 2 3
`;
    const { final } = parseDockerfile(text, "Dockerfile");
    expect(final.env).toEqual({ A: "1", B: "2 3" });
    expect(nativeImageCommand(final, "/root")).toEqual(["node", "server.js"]);
  });

  it("runs shell-form commands through sh -c and resets CMD when ENTRYPOINT is set", () => {
    expect(parseImageCommand("npm start")).toEqual({ shell: "npm start" });
    expect(parseImageCommand('["node", oops]')).toEqual({ shell: '["node", oops]' });
    const { final } = parseDockerfile('FROM x\nCMD ["a"]\nENTRYPOINT ./run.sh --fast\n', "Dockerfile");
    expect(final.cmd).toBeNull();
    expect(nativeImageCommand(final, "/root")).toEqual(["sh", "-c", "./run.sh --fast"]);
  });

  it("rejects a Dockerfile without FROM, naming the file and line", () => {
    expect(() => parseDockerfile("\n\nRUN echo hi\n", "backend/Dockerfile")).toThrowError(
      new BuildError("backend/Dockerfile:3: RUN before the first FROM"),
    );
    expect(() => parseDockerfile("# only a comment\n", "Dockerfile")).toThrowError(
      "Dockerfile: no FROM instruction",
    );
  });

  it("gives no command for an image without CMD or ENTRYPOINT", () => {
    const { final } = parseDockerfile("FROM node:20\nRUN true\n", "Dockerfile");
    expect(nativeImageCommand(final, "/root")).toBeNull();
  });
});

describe("buildCacheKey", () => {
  const base = {
    source: "commit:abc",
    rootDirectory: "/frontend",
    mode: "native" as const,
    settings: { builder: "RAILPACK" as const, buildCommand: "npm run build" },
    variables: { NEXT_PUBLIC_API_URL: "http://127.0.0.1:1", RAILWAY_DEPLOYMENT_ID: "d1" },
  };

  it("is the same for a redeploy of the same commit, whatever the deployment id", () => {
    expect(buildCacheKey({ ...base, variables: { ...base.variables, RAILWAY_DEPLOYMENT_ID: "d2" } })).toBe(
      buildCacheKey(base),
    );
  });

  it("changes with the commit, root, builder, build command and any build-time variable", () => {
    const key = buildCacheKey(base);
    expect(buildCacheKey({ ...base, source: "commit:def" })).not.toBe(key);
    expect(buildCacheKey({ ...base, rootDirectory: "/backend" })).not.toBe(key);
    expect(buildCacheKey({ ...base, settings: { ...base.settings, builder: "NIXPACKS" } })).not.toBe(key);
    expect(buildCacheKey({ ...base, settings: { ...base.settings, buildCommand: "npm ci" } })).not.toBe(key);
    expect(buildCacheKey({ ...base, mode: "container" })).not.toBe(key);
    expect(
      buildCacheKey({ ...base, variables: { ...base.variables, NEXT_PUBLIC_API_URL: "http://127.0.0.1:2" } }),
    ).not.toBe(key);
  });
});

describe("build environment", () => {
  it("passes tools and TLS roots through, never the runner's other variables", () => {
    const env = baseEnv({
      PATH: "/bin",
      HOME: "/home/x",
      GITHUB_TOKEN: "t",
      RAILWAY_TOKEN: "r",
      SSL_CERT_FILE: "/c",
    });
    expect(env).toEqual({ PATH: "/bin", HOME: "/home/x", SSL_CERT_FILE: "/c" });
  });

  it("installs with npm ci when there is a lockfile and builds when there is a build script", () => {
    expect(defaultBuildCommand({ hasLockfile: true, scripts: { build: "tsc" } })).toBe(
      "npm ci && npm run build",
    );
    expect(defaultBuildCommand({ hasLockfile: false, scripts: {} })).toBe("npm install");
    expect(defaultBuildCommand(null)).toBeNull();
  });
});
