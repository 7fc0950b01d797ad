// How long the validator takes over 1,000 config files (discovery, parsing, schema and
// semantic checks, checks across files). Prints JSON to stdout:
//   npx tsx bench/validation.ts
// totalMs is the first run in a fresh process (it includes compiling the schema);
// warmTotalMs is a second run over the same files.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig } from "../action/src/config/index.ts";

const FILES = 1000;

function validToml(index: number): string {
  return `[build]
builder = "DOCKERFILE"
watchPatterns = ["/svc-${index}/**", "!/svc-${index}/**/*.md"]

[deploy]
restartPolicyType = "on_failure"
restartPolicyMaxRetries = 3
healthcheckPath = "/health"
cronSchedule = "*/${5 + (index % 50)} * * * *"

[environments.pr.deploy]
numReplicas = 1

[variables]
required = ["DATABASE_URL", "REDIS_URL"]

[services.svc-${index}]
dependsOn = [${index > 0 ? `"svc-${index - 1}"` : ""}]

[services.svc-${index}.variables]
set = { CONTAINER_ROLE = "worker-${index}" }
`;
}

function invalidToml(index: number): string {
  return `[build]
builder = "DOCKER"
watchPaths = ["./src/**"]

[deploy]
startComand = "npm start"
numReplicas = "2"
healthcheckPath = "health"
cronSchedule = "61 * * * *"

[services.svc-${index}]
dependsOn = ["svc-missing-${index}"]
smoke = { role = "api" }
`;
}

function validJson(index: number): string {
  return `${JSON.stringify(
    {
      $schema: "https://railway.com/railway.schema.json",
      build: { builder: "RAILPACK", buildCommand: null, watchPatterns: [`/svc-${index}/**`] },
      deploy: {
        startCommand: "node server.js",
        preDeployCommand: ["npm run migrate"],
        numReplicas: 2,
        sleepApplication: null,
      },
      services: { [`svc-${index}`]: { variables: { required: ["API_URL"] } } },
    },
    null,
    2,
  )}\n`;
}

const dir = mkdtempSync(join(tmpdir(), "railyard-bench-"));
try {
  for (let index = 0; index < FILES; index += 1) {
    const folder = join(dir, `svc-${index}`);
    mkdirSync(folder);
    const kind = index % 4;
    if (kind === 3) writeFileSync(join(folder, "railway.json"), validJson(index));
    else if (kind === 2) writeFileSync(join(folder, "railway.toml"), invalidToml(index));
    else {
      writeFileSync(join(folder, "railway.toml"), validToml(index));
      writeFileSync(join(folder, "Dockerfile"), "FROM node:20-slim\n");
    }
  }

  const started = performance.now();
  const first = await loadConfig({ repoDir: dir });
  const totalMs = performance.now() - started;

  const warmStarted = performance.now();
  await loadConfig({ repoDir: dir });
  const warmTotalMs = performance.now() - warmStarted;

  if (first.files.length !== FILES)
    throw new Error(`expected ${FILES} files, validated ${first.files.length}`);
  const errors = first.findings.filter((finding) => finding.severity === "error").length;
  const round = (value: number) => Math.round(value * 100) / 100;
  process.stdout.write(
    `${JSON.stringify({
      files: first.files.length,
      totalMs: round(totalMs),
      perFileMs: round(totalMs / FILES),
      warmTotalMs: round(warmTotalMs),
      warmPerFileMs: round(warmTotalMs / FILES),
      findings: first.findings.length,
      errors,
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
