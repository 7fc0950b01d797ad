// Every field Railway documents for Config as Code, in each documented form, is
// accepted: enums in any letter case, nulls in JSON, preDeployCommand as array or string.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import schema from "../../../schemas/railway.schema.json" with { type: "json" };
import { loadConfig, validateConfigText } from "./index.ts";

const fixtures = fileURLToPath(new URL("../../../test/fixtures/config/", import.meta.url));
const valid = join(fixtures, "valid");

const documented = JSON.parse(readFileSync(join(fixtures, "documented-fields.json"), "utf8")) as Record<
  "build" | "deploy",
  string[]
>;

function findingsFor(path: string, text: string) {
  return validateConfigText(path, text).findings;
}

describe("documented Railway fields", () => {
  it("the schema knows every documented build and deploy field, with a description", () => {
    const definitions = schema.definitions as unknown as Record<
      string,
      { properties: Record<string, { description?: string }> }
    >;
    for (const section of ["build", "deploy"] as const) {
      expect(Object.keys(definitions[section]?.properties ?? {}).sort()).toEqual(
        [...documented[section]].sort(),
      );
      for (const [key, property] of Object.entries(definitions[section]?.properties ?? {})) {
        expect(property.description, `${section}.${key}`).toMatch(/\w/);
      }
    }
  });

  it("is a strict draft-07 schema (ajv strict mode compiles it)", () => {
    const ajv = new Ajv({ strict: true, discriminator: true, allowUnionTypes: true });
    expect(() => ajv.compile(schema)).not.toThrow();
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
  });

  it("is what the project's railway.toml files point editors at (#:schema)", () => {
    for (const file of ["backend/railway.toml", "frontend/railway.toml"]) {
      const directive = /^#:schema (.+)$/m.exec(readFileSync(join(fixtures, "../../..", file), "utf8"))?.[1];
      expect(directive, file).toBeDefined();
      expect(existsSync(join(fixtures, "../../..", file, "..", directive ?? ""))).toBe(true);
    }
  });

  it("every property anywhere in the schema has a description", () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (node === null || typeof node !== "object") return;
      const record = node as Record<string, unknown>;
      if (record.properties !== undefined) {
        for (const [key, property] of Object.entries(
          record.properties as Record<string, Record<string, unknown>>,
        )) {
          if (typeof property.description !== "string") missing.push(`${path}.${key}`);
        }
      }
      for (const [key, child] of Object.entries(record)) walk(child, `${path}/${key}`);
    };
    walk(schema, "#");
    expect(missing).toEqual([]);
  });

  it("accepts a TOML file using every field, and a JSON file with every nullable field null", async () => {
    const config = await loadConfig({
      repoDir: valid,
      files: ["all-fields.toml", "all-fields.json"],
      environments: ["production", "staging"],
    });
    expect(config.findings).toEqual([]);
  });

  const cases = (values: string[]) =>
    values.flatMap((value) => [value, value.toLowerCase(), value[0] + value.slice(1).toLowerCase()]);

  it.each(cases(["RAILPACK", "DOCKERFILE", "NIXPACKS", "HEROKU", "PAKETO"]))("builder = %j", (builder) => {
    expect(findingsFor("railway.toml", `[build]\nbuilder = "${builder}"\n`)).toEqual([]);
    expect(findingsFor("railway.json", JSON.stringify({ build: { builder } }))).toEqual([]);
  });

  it.each(cases(["ON_FAILURE", "ALWAYS", "NEVER"]))("restartPolicyType = %j", (policy) => {
    expect(findingsFor("railway.toml", `[deploy]\nrestartPolicyType = "${policy}"\n`)).toEqual([]);
    expect(
      findingsFor("railway.toml", `[environments.pr.deploy]\nrestartPolicyType = "${policy}"\n`),
    ).toEqual([]);
  });

  it.each(cases(["V2", "LEGACY", "UNSPECIFIED"]))("runtime = %j", (runtime) => {
    expect(findingsFor("railway.json", JSON.stringify({ deploy: { runtime } }))).toEqual([]);
  });

  it.each([
    ["preDeployCommand as an array", { deploy: { preDeployCommand: ["npm run migrate"] } }],
    ["preDeployCommand as a string", { deploy: { preDeployCommand: "npm run migrate" } }],
    ["an empty watchPatterns", { build: { watchPatterns: [] } }],
    ["negated watch patterns", { build: { watchPatterns: ["**", "!**/*.md", "!/docs/**"] } }],
    ["cron every 5 minutes", { deploy: { cronSchedule: "*/5 * * * *" } }],
    ["cron with names", { deploy: { cronSchedule: "0 9 * * MON-FRI" } }],
    [
      "restartPolicyMaxRetries = 0",
      { deploy: { restartPolicyType: "ON_FAILURE", restartPolicyMaxRetries: 0 } },
    ],
    ["a multiRegionConfig removing a region", { deploy: { multiRegionConfig: { "us-east4": null } } }],
    ["an empty environment block", { environments: { staging: {} } }],
    ["the railway.app $schema URL", { $schema: "https://railway.app/railway.schema.json" }],
    [
      "the schema.up.railway.app $schema URL",
      { $schema: "https://schema.up.railway.app/railway.schema.json" },
    ],
    ["an empty file", {}],
  ])("%s", (_name, data) => {
    expect(findingsFor("railway.json", JSON.stringify(data, null, 2))).toEqual([]);
  });

  it("accepts the Railyard extension tables", () => {
    const text = [
      '[variables]\nrequired = ["DATABASE_URL"]\nset = { LOG_LEVEL = "info" }',
      '[services.api]\ndependsOn = []\nsmoke = { role = "api", versionPath = "/version", healthPath = "/ready" }',
      "[services.api.environments.pr.deploy]\nnumReplicas = 1",
      '[services.api.environments.pr.build]\nbuilder = "railpack"',
      '[services.web]\ndependsOn = ["api"]\nsmoke = { role = "frontend", buildInfoPath = "/healthz", apiUrlVariable = "NEXT_PUBLIC_API_URL" }',
      '[services.web.variables]\nrequired = ["NEXT_PUBLIC_API_URL"]\nset = { _PRIVATE = "x", PORT = "3000" }',
    ].join("\n\n");
    expect(findingsFor("railway.toml", `${text}\n`)).toEqual([]);
  });
});
