// frontend/railway.toml tells Railway (through Railyard) how to build, start and check
// this app; these checks keep it in agreement with what the app actually provides.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import TOML from "@iarna/toml";
import { describe, expect, it } from "vitest";
import { FRONTEND_DIR } from "./support/processes.ts";

interface FrontendRailwayToml {
  build?: { buildCommand?: string };
  deploy?: { startCommand?: string; healthcheckPath?: string };
  services?: {
    frontend?: {
      smoke?: { role?: string; buildInfoPath?: string; apiUrlVariable?: string };
      variables?: { required?: string[] };
    };
  };
}

const railway = TOML.parse(
  readFileSync(path.join(FRONTEND_DIR, "railway.toml"), "utf8"),
) as FrontendRailwayToml;
const scripts = (
  JSON.parse(readFileSync(path.join(FRONTEND_DIR, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;

function routeFileFor(urlPath: string): string {
  return path.join(FRONTEND_DIR, "app", ...urlPath.split("/").filter(Boolean), "route.ts");
}

describe("frontend/railway.toml", () => {
  it("builds and starts with npm scripts this package defines", () => {
    expect(railway.build?.buildCommand).toBe("npm install && npm run build");
    expect(railway.deploy?.startCommand).toBe("npm start");
    expect(scripts.build).toContain("node scripts/check-build-env.mjs");
    expect(scripts.build).toContain("next build");
    expect(scripts.start).toBe("next start");
  });

  it("health-checks and smoke-tests a route handler the app has", () => {
    const healthcheckPath = railway.deploy?.healthcheckPath ?? "";
    const buildInfoPath = railway.services?.frontend?.smoke?.buildInfoPath ?? "";
    expect(healthcheckPath).toBe("/healthz");
    expect(buildInfoPath).toBe(healthcheckPath);
    expect(existsSync(routeFileFor(buildInfoPath)), routeFileFor(buildInfoPath)).toBe(true);
  });

  it("requires the build-time API URL variable the build checks", () => {
    const apiUrlVariable = railway.services?.frontend?.smoke?.apiUrlVariable;
    expect(apiUrlVariable).toBe("NEXT_PUBLIC_API_URL");
    expect(railway.services?.frontend?.variables?.required).toContain(apiUrlVariable);
  });
});
