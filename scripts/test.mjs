// The README's test command (`npm test`): every check and every test suite of the project,
// in one run, with one closing line. Each suite writes a vitest JSON report so the closing
// line counts tests, not suites. Uses only Node's built-ins.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { installNodePackages, installSystemPackages, SYSTEM_PACKAGES } from "./setup.mjs";

const reports = resolve(".railyard/test-reports");
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

console.log(`railyard test: node ${process.version} (${process.execPath})`);
installNodePackages();
installSystemPackages(SYSTEM_PACKAGES);

const vitest = (name, cwd) => ({
  name,
  cwd,
  command: "npx",
  args: [
    "vitest",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${join(reports, `${name}.json`)}`,
  ],
  report: join(reports, `${name}.json`),
});

const only = process.argv.slice(2);
const steps = [
  { name: "typecheck", cwd: ".", command: "npx", args: ["tsc", "-p", "tsconfig.json", "--noEmit"] },
  { name: "lint", cwd: ".", command: "npx", args: ["biome", "check", "."] },
  { name: "dist", cwd: ".", command: "node", args: ["scripts/build.mjs", "--check"] },
  vitest("action", "."),
  { name: "backend-typecheck", cwd: "backend", command: "npm", args: ["run", "--silent", "typecheck"] },
  vitest("backend", "backend"),
  { name: "frontend-typecheck", cwd: "frontend", command: "npm", args: ["run", "--silent", "typecheck"] },
  vitest("frontend", "frontend"),
  { name: "container", cwd: ".", command: "node", args: ["scripts/container-test.mjs"] },
].filter((step) => only.length === 0 || only.includes(step.name));

let passed = 0;
let failed = 0;
const failures = [];
for (const step of steps) {
  console.log(`\n━━ ${step.name} ━━`);
  const result = spawnSync(step.command, step.args, { cwd: step.cwd, stdio: "inherit", env: process.env });
  const ok = result.status === 0;
  if (step.report && existsSync(step.report)) {
    const report = JSON.parse(readFileSync(step.report, "utf8"));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    if (!ok && report.numFailedTests === 0) failed += 1; // a suite that failed to load
  } else if (ok) {
    passed += 1;
  } else {
    failed += 1;
  }
  if (!ok) failures.push(step.name);
}

console.log(`\n${failures.length === 0 ? "all steps passed" : `failed steps: ${failures.join(", ")}`}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failures.length === 0 ? 0 : 1);
