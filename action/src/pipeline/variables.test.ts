import { describe, expect, it } from "vitest";
import type { ServiceConfig } from "../config/types.ts";
import { checkVariables, describeProblem } from "./variables.ts";

const at = (line: number) => ({ file: "backend/railway.toml", line, column: 12 });
const api: ServiceConfig = {
  name: "api",
  file: "backend/railway.toml",
  rootDirectory: "/backend",
  requiredVariables: [
    { name: "DATABASE_URL", location: at(25) },
    { name: "CORS_ORIGIN", location: at(31) },
    { name: "CONTAINER_ROLE", location: at(31) },
  ],
  fixedVariables: { CONTAINER_ROLE: "api" },
  dependsOn: [],
  location: at(28),
};

describe("variables check", () => {
  it("passes when every required variable renders non-empty", () => {
    const check = checkVariables(api, {
      DATABASE_URL: "postgres://x",
      CORS_ORIGIN: "http://f",
      CONTAINER_ROLE: "api",
    });
    expect(check).toEqual({ service: "api", ok: true, problems: [], fixedToSet: [] });
  });

  it("reports missing and empty variables with the line that requires them", () => {
    const check = checkVariables(api, { CORS_ORIGIN: "  " });
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual([
      { name: "DATABASE_URL", problem: "missing", location: at(25) },
      { name: "CORS_ORIGIN", problem: "empty", location: at(31) },
    ]);
    expect(describeProblem("api", check.problems[0] as never)).toBe(
      "api: required variable DATABASE_URL is not set in Railway (required at backend/railway.toml:25)",
    );
  });

  it("counts fixed variables as provided and lists the ones to set", () => {
    const check = checkVariables(api, { DATABASE_URL: "x", CORS_ORIGIN: "y", CONTAINER_ROLE: "worker" });
    expect(check.ok).toBe(true);
    expect(check.fixedToSet).toEqual(["CONTAINER_ROLE"]);
  });

  it("never carries a value into the result", () => {
    const secret = "postgres://user:hunter2@db";
    const check = checkVariables(api, { DATABASE_URL: secret, CORS_ORIGIN: "" });
    expect(JSON.stringify(check)).not.toContain("hunter2");
  });
});
