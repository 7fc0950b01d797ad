import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildClientSchema, buildSchema, type GraphQLSchema, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import {
  deploymentStatusesQuery,
  deploymentTriggersManyQuery,
  operations,
  variablesForDeploymentsQuery,
} from "../../action/src/railway/operations.ts";
import { compareWithReal } from "./schema-compare.ts";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");
const realSchemaPath = resolve(repoRoot, "test/data/railway/schema.json");
const emulatorSdlPath = resolve(repoRoot, "emulator/schema.graphql");

function realSchema(): GraphQLSchema {
  if (!existsSync(realSchemaPath)) {
    throw new Error(
      `Railway's schema is missing: expected ${realSchemaPath} (Railway's schema kept in the repository as test data). ` +
        "The emulator's SDL cannot be checked without it.",
    );
  }
  return buildClientSchema(JSON.parse(readFileSync(realSchemaPath, "utf8")).data);
}

describe("the emulator's SDL is a faithful subset of Railway's schema", () => {
  it("finds Railway's schema file", () => {
    expect(existsSync(realSchemaPath), `missing ${realSchemaPath}`).toBe(true);
  });

  it("declares only types, fields, arguments and enum values that exist with the same types", () => {
    const ours = buildSchema(readFileSync(emulatorSdlPath, "utf8"));
    expect(compareWithReal(ours, realSchema())).toEqual([]);
  });

  it("serves every operation the client sends", () => {
    const ours = buildSchema(readFileSync(emulatorSdlPath, "utf8"));
    const documents = {
      ...operations,
      DeploymentStatuses: deploymentStatusesQuery(3),
      VariablesForServiceDeployments: variablesForDeploymentsQuery(3),
      DeploymentTriggersMany: deploymentTriggersManyQuery(3),
    };
    for (const [name, text] of Object.entries(documents)) {
      expect(validate(ours, parse(text)).map((e) => `${name}: ${e.message}`)).toEqual([]);
    }
  });

  it("reports a field whose type differs (the check can fail)", () => {
    const wrong = buildSchema(`
      type Query { deployment(id: String!): Deployment! }
      type Mutation { deploymentRollback(id: String!): Deployment! }
      type Deployment { id: ID! status: String! made_up: Int }
    `);
    const problems = compareWithReal(wrong, realSchema());
    expect(problems).toContain(
      "field Mutation.deploymentRollback is Deployment! here but Boolean! in Railway's schema",
    );
    expect(problems).toContain(
      "field Deployment.status is String! here but DeploymentStatus! in Railway's schema",
    );
    expect(problems).toContain("field Deployment.made_up does not exist in Railway's schema");
  });
});
