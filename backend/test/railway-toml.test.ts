import { readFileSync } from "node:fs";
import { join } from "node:path";
import TOML from "@iarna/toml";
import { describe, expect, it } from "vitest";
import { ROLE_REQUIRED_VARIABLES, ROLES } from "../src/config.ts";
import { BACKEND_DIR } from "./helpers.ts";

interface RailwayToml {
  variables?: { required?: string[] };
  services?: Record<string, { variables?: { required?: string[]; set?: Record<string, string> } }>;
}

const railway = TOML.parse(readFileSync(join(BACKEND_DIR, "railway.toml"), "utf8")) as unknown as RailwayToml;

describe("backend/railway.toml agrees with the code", () => {
  it("declares exactly one service per role, each setting CONTAINER_ROLE to its name", () => {
    expect(Object.keys(railway.services ?? {}).sort()).toEqual([...ROLES].sort());
    for (const role of ROLES) {
      expect(railway.services?.[role]?.variables?.set?.CONTAINER_ROLE).toBe(role);
    }
  });

  for (const role of ROLES) {
    it(`${role}: required variables equal what the role validates`, () => {
      const declared = [
        ...(railway.variables?.required ?? []),
        ...(railway.services?.[role]?.variables?.required ?? []),
      ];
      expect([...new Set(declared)].sort()).toEqual([...ROLE_REQUIRED_VARIABLES[role]].sort());
    });
  }
});
