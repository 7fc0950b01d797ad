import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildClientSchema, type GraphQLSchema, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import {
  deploymentStatusesQuery,
  deploymentTriggersManyQuery,
  instanceExecutionsManyQuery,
  operations,
  recentDeploymentsManyQuery,
  variablesForDeploymentsQuery,
} from "./operations.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const realSchemaPath = resolve(repoRoot, "test/data/railway/schema.json");

function loadRealSchema(): GraphQLSchema {
  if (!existsSync(realSchemaPath)) {
    throw new Error(
      `Railway's schema is missing: expected ${realSchemaPath} (Railway's schema kept in the repository as test data). ` +
        "The operations cannot be checked without it.",
    );
  }
  return buildClientSchema(JSON.parse(readFileSync(realSchemaPath, "utf8")).data);
}

describe("every GraphQL operation validates against Railway's real schema", () => {
  it("finds the schema file", () => {
    expect(existsSync(realSchemaPath), `missing ${realSchemaPath}`).toBe(true);
  });

  const documents: [string, string][] = [
    ...Object.entries(operations),
    ["deploymentStatusesQuery(1)", deploymentStatusesQuery(1)],
    ["deploymentStatusesQuery(3)", deploymentStatusesQuery(3)],
    ["variablesForDeploymentsQuery(3)", variablesForDeploymentsQuery(3)],
    ["variablesForDeploymentsQuery(3, odd only)", variablesForDeploymentsQuery(3, (i) => i % 2 === 1)],
    ["deploymentTriggersManyQuery(2)", deploymentTriggersManyQuery(2)],
    ["recentDeploymentsManyQuery(1)", recentDeploymentsManyQuery(1)],
    ["recentDeploymentsManyQuery(3)", recentDeploymentsManyQuery(3)],
    ["instanceExecutionsManyQuery(1)", instanceExecutionsManyQuery(1)],
    ["instanceExecutionsManyQuery(3)", instanceExecutionsManyQuery(3)],
  ];
  it.each(documents)("%s", (_name, text) => {
    const schema = loadRealSchema();
    const errors = validate(schema, parse(text)).map((e) => e.message);
    expect(errors).toEqual([]);
  });

  it("rejects a document that does not match the schema (the check can fail)", () => {
    const schema = loadRealSchema();
    const errors = validate(schema, parse("query Bad { deployment(id: 1) { notAField } }"));
    expect(errors.length).toBeGreaterThan(0);
  });
});
