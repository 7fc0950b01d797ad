// The emulator's own types are checked against Railway's schema, and the emulator takes no
// type from the action (a mistake in the client's model must not be agreed to here).

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  buildClientSchema,
  buildSchema,
  type GraphQLNamedType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
} from "graphql";
import { describe, expect, it } from "vitest";
import {
  CONFIG_ONLY_FIELDS,
  DEPLOYMENT_STATUSES,
  INSTANCE_UPDATE_FIELDS,
  RESTART_POLICY_TYPES,
  UPDATE_INPUT_BUILDERS,
} from "./railway-types.ts";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");
const real: GraphQLSchema = buildClientSchema(
  JSON.parse(readFileSync(resolve(repoRoot, "test/data/railway/schema.json"), "utf8")).data,
);
const ours: GraphQLSchema = buildSchema(readFileSync(resolve(repoRoot, "emulator/schema.graphql"), "utf8"));

const enumValues = (type: GraphQLNamedType | undefined | null) =>
  isEnumType(type)
    ? type
        .getValues()
        .map((v) => v.name)
        .sort()
    : [];
const inputFields = (schema: GraphQLSchema, name: string) => {
  const type = schema.getType(name);
  if (!isInputObjectType(type)) throw new Error(`${name} is not an input type`);
  return Object.fromEntries(Object.values(type.getFields()).map((f) => [f.name, String(f.type)]));
};

describe("the emulator's Railway types", () => {
  it("deployment statuses, builders and restart policies are Railway's enums", () => {
    expect([...DEPLOYMENT_STATUSES].sort()).toEqual(enumValues(real.getType("DeploymentStatus")));
    expect([...UPDATE_INPUT_BUILDERS].sort()).toEqual(enumValues(real.getType("Builder")));
    expect([...RESTART_POLICY_TYPES].sort()).toEqual(enumValues(real.getType("RestartPolicyType")));
  });

  it("every stored update field is a ServiceInstanceUpdateInput field of that exact type", () => {
    const fields = inputFields(real, "ServiceInstanceUpdateInput");
    for (const [name, type] of Object.entries(INSTANCE_UPDATE_FIELDS)) {
      expect(fields[name], `ServiceInstanceUpdateInput.${name}`).toBe(type);
    }
  });

  it("the SDL's ServiceInstanceUpdateInput has exactly those fields, so serviceInstanceUpdate writes what it declares", () => {
    expect(inputFields(ours, "ServiceInstanceUpdateInput")).toEqual(INSTANCE_UPDATE_FIELDS);
  });

  it("config-only settings really have no ServiceInstanceUpdateInput field", () => {
    const fields = inputFields(real, "ServiceInstanceUpdateInput");
    for (const name of Object.keys(CONFIG_ONLY_FIELDS)) expect(fields[name], name).toBeUndefined();
  });

  it("no emulator source file imports from the action", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) {
          const text = readFileSync(path, "utf8");
          if (/from\s+["'][./]*\/action\//.test(text)) offenders.push(relative(repoRoot, path));
        }
      }
    };
    walk(here);
    expect(offenders).toEqual([]);
  });
});
