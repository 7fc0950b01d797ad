// Replaces the repository's copy of Railway's GraphQL schema (test/data/railway/) with a newer
// introspection result, e.g. railwayapp/cli's src/gql/schema.json:
//   node scripts/refresh-railway-schema.mjs <schema.json> --source "railwayapp/cli src/gql/schema.json, CLI v5.50 (Jan 2027)"
// Writes schema.json (as {"data":{"__schema":...}}), schema.graphql (graphql-js printSchema) and
// the Source line of test/data/railway/README.md (source, type count, sha256). Then run
// `npx vitest run emulator/src/schema.test.ts action/src/railway` to see what the new schema breaks.
// Exit codes: 0 written, 1 the file is not a usable schema, 2 bad usage.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildClientSchema, printSchema } from "graphql";

const usage =
  'usage: node scripts/refresh-railway-schema.mjs <schema.json> --source "<where it came from, which version>"';
const dataDir = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "data", "railway");

function fail(code, message) {
  console.error(`railyard refresh-railway-schema: ${message}`);
  process.exit(code);
}

let parsed;
try {
  parsed = parseArgs({
    options: { source: { type: "string" }, out: { type: "string" } },
    allowPositionals: true,
  });
} catch (error) {
  fail(2, `${error.message} (${usage})`);
}
const { values, positionals } = parsed;
if (positionals.length !== 1 || !values.source?.trim()) fail(2, usage);
const input = resolve(positionals[0]);
// --out exists for the script's own test: write somewhere other than the repository's copy.
const outDir = values.out === undefined ? dataDir : resolve(values.out);

let introspection;
try {
  const json = JSON.parse(readFileSync(input, "utf8"));
  introspection = json?.data?.__schema !== undefined ? json.data : json;
  if (introspection?.__schema === undefined)
    throw new Error('no "__schema" (expected an introspection result)');
} catch (error) {
  fail(1, `${input}: ${error.code === "ENOENT" ? "no such file" : error.message}`);
}

let sdl;
try {
  sdl = printSchema(buildClientSchema(introspection));
} catch (error) {
  fail(1, `${input}: not a valid GraphQL schema: ${error.message}`);
}

const json = `${JSON.stringify({ data: introspection }, null, 2)}\n`;
const sha256 = createHash("sha256").update(json).digest("hex");
const readmePath = join(outDir, "README.md");
let readme;
try {
  readme = readFileSync(readmePath, "utf8");
} catch {
  fail(1, `${readmePath} is missing: it holds the schema's license notice and must stay`);
}
const sourceLine = `Source: ${values.source.trim()}; ${introspection.__schema.types.length} types; sha256 of schema.json ${sha256}.`;
if (!/^Source: .*$/m.test(readme)) fail(1, `${readmePath} has no "Source: " line to update`);
writeFileSync(join(outDir, "schema.json"), json);
writeFileSync(join(outDir, "schema.graphql"), `${sdl}\n`);
writeFileSync(readmePath, readme.replace(/^Source: .*$/m, sourceLine));
console.log(
  `railyard refresh-railway-schema: wrote ${outDir} (${introspection.__schema.types.length} types)`,
);
console.log(sourceLine);
