// Builds the frontend ONCE, as Railway would (`npm run build` with NEXT_PUBLIC_API_URL and
// RAILWAY_GIT_COMMIT_SHA set), into the normal .next dir, and makes sure the real backend
// is built. The API URL names a port reserved now; the browser test starts the api on it.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { type BackendReadiness, ensureBackendBuilt } from "./support/backend.ts";
import { ARTIFACTS_DIR, childEnv, FRONTEND_DIR, freePort, runToEnd } from "./support/processes.ts";

export interface BuiltFrontend {
  apiPort: number;
  apiUrl: string;
  commit: string;
  buildMs: number;
  backend: BackendReadiness;
}

declare module "vitest" {
  export interface ProvidedContext {
    builtFrontend: BuiltFrontend;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const commit = randomBytes(20).toString("hex");
  const build = await runToEnd("frontend-build", "npm", ["run", "build"], {
    cwd: FRONTEND_DIR,
    env: childEnv({ NEXT_PUBLIC_API_URL: apiUrl, RAILWAY_GIT_COMMIT_SHA: commit }),
  });
  if (build.code !== 0) {
    throw new Error(
      `npm run build failed (exit ${build.code}); see test/artifacts/frontend-build.log:\n${build.output}`,
    );
  }
  writeFileSync(
    path.join(ARTIFACTS_DIR, "build-timing.json"),
    `${JSON.stringify({ step: "npm run build", ms: build.ms })}\n`,
  );
  const backend = await ensureBackendBuilt();
  project.provide("builtFrontend", { apiPort, apiUrl, commit, buildMs: build.ms, backend });
}
