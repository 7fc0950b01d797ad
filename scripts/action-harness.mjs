// Runs action.yml the way GitHub's runner runs a composite action: inputs are checked against
// the declared ones and given their defaults, `${{ inputs.x }}` / `${{ github.token }}` /
// `${{ steps.id.outputs.x }}` are evaluated in env, run and outputs, each step runs in bash
// with GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, and the step gets NO INPUT_* variables of
// its own (a composite step only sees what its env maps). A missing mapping therefore shows.
//
//   node scripts/action-harness.mjs run --input mode=validate [--input name=value ...]
//   node scripts/action-harness.mjs docs [--check]      writes docs/action-inputs.md from action.yml
//   node scripts/action-harness.mjs serve-emulator      starts an emulator for the CI self-test
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export function loadAction(actionDir = root) {
  return parse(readFileSync(join(actionDir, "action.yml"), "utf8"));
}

/** Evaluates the expressions this action uses; anything else is an error, as a typo would be. */
export function evaluate(text, context) {
  return String(text).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression) => {
    let match = /^inputs\.([A-Za-z0-9_-]+)$/.exec(expression);
    if (match) {
      if (!(match[1] in context.inputs))
        throw new Error(`action.yml: \${{ ${expression} }} names an undeclared input`);
      return context.inputs[match[1]];
    }
    match = /^github\.token$/.exec(expression);
    if (match) return context.githubToken ?? "";
    match = /^steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)$/.exec(expression);
    if (match) return context.steps[match[1]]?.outputs[match[2]] ?? "";
    throw new Error(`action.yml: the harness does not know the expression \${{ ${expression} }}`);
  });
}

/** Reads a GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` blocks. */
export function parseOutputFile(text) {
  const outputs = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body = [];
      i++;
      while (i < lines.length && lines[i] !== heredoc[2]) body.push(lines[i++]);
      outputs[heredoc[1]] = body.join("\n");
    } else if (line.includes("=")) {
      outputs[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return outputs;
}

function runStep(script, env, cwd) {
  return new Promise((resolvePromise) => {
    const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], { env, cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * Runs the composite action. `inputs` are what a workflow's `with:` passes; `env` is the
 * runner's environment (GITHUB_WORKSPACE etc.). Resolves with the exit code, the output,
 * the action's outputs and the job summary.
 */
export async function runAction({
  actionDir = root,
  inputs = {},
  env = {},
  workspace = process.cwd(),
  githubToken,
} = {}) {
  const action = loadAction(actionDir);
  if (action.runs?.using !== "composite") throw new Error("action.yml: runs.using must be composite");
  const declared = action.inputs ?? {};
  for (const name of Object.keys(inputs)) {
    if (!(name in declared))
      throw new Error(`Unexpected input '${name}', valid inputs are: ${Object.keys(declared).join(", ")}`);
  }
  const context = { inputs: {}, steps: {}, githubToken };
  for (const [name, spec] of Object.entries(declared)) {
    if (spec.required && inputs[name] === undefined)
      throw new Error(`Input required and not supplied: ${name}`);
    context.inputs[name] =
      inputs[name] ?? (spec.default === undefined ? "" : evaluate(spec.default, context));
  }
  const temp = mkdtempSync(join(tmpdir(), "railyard-harness-"));
  const summaryFile = join(temp, "summary.md");
  writeFileSync(summaryFile, "");
  let stdout = "";
  let stderr = "";
  let exitCode = 0;
  try {
    // The runner never hands INPUT_* of the caller to composite steps.
    const base = Object.fromEntries(
      Object.entries({ ...process.env, ...env }).filter(([key]) => !key.startsWith("INPUT_")),
    );
    for (const step of action.runs.steps) {
      if (!step.run) throw new Error("the harness runs `run:` steps only");
      const outputFile = join(temp, `output-${step.id ?? "step"}`);
      writeFileSync(outputFile, "");
      const stepEnv = {
        ...base,
        GITHUB_ACTION_PATH: actionDir,
        GITHUB_WORKSPACE: workspace,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
      };
      for (const [key, value] of Object.entries(step.env ?? {})) stepEnv[key] = evaluate(value, context);
      const result = await runStep(evaluate(step.run, context), stepEnv, workspace);
      stdout += result.stdout;
      stderr += result.stderr;
      if (step.id) context.steps[step.id] = { outputs: parseOutputFile(readFileSync(outputFile, "utf8")) };
      if (result.code !== 0) {
        exitCode = result.code;
        break;
      }
    }
    const outputs = {};
    for (const [name, spec] of Object.entries(action.outputs ?? {}))
      outputs[name] = evaluate(spec.value, context);
    return { exitCode, stdout, stderr, outputs, summary: readFileSync(summaryFile, "utf8") };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

const cell = (text) =>
  String(text ?? "")
    .replace(/\|/g, "\\|")
    .replace(/\n/g, " ");

/** The inputs and outputs tables, generated from action.yml. */
export function inputsTables(actionDir = root) {
  const action = loadAction(actionDir);
  const lines = ["| input | default | description |", "| --- | --- | --- |"];
  for (const [name, spec] of Object.entries(action.inputs ?? {})) {
    const fallback = spec.default === undefined || spec.default === "" ? "" : `\`${cell(spec.default)}\``;
    lines.push(
      `| \`${name}\`${spec.required ? " (required)" : ""} | ${fallback} | ${cell(spec.description)} |`,
    );
  }
  lines.push("", "| output | description |", "| --- | --- |");
  for (const [name, spec] of Object.entries(action.outputs ?? {}))
    lines.push(`| \`${name}\` | ${cell(spec.description)} |`);
  return lines.join("\n");
}

/** docs/action-inputs.md, generated from action.yml so the two never drift. */
export function inputsDoc(actionDir = root) {
  return [
    "# Action inputs and outputs",
    "",
    "<!-- Generated from action.yml by `node scripts/action-harness.mjs docs`; a test fails when it drifts. -->",
    "",
    inputsTables(actionDir),
    "",
  ].join("\n");
}

const README_START =
  "<!-- inputs:start (generated from action.yml by `node scripts/action-harness.mjs docs`) -->";
const README_END = "<!-- inputs:end -->";

/** README.md with the tables between its markers replaced by the ones action.yml gives. */
export function readmeWithInputs(readme, actionDir = root) {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start)
    throw new Error(`README.md lacks the markers ${README_START} … ${README_END}`);
  return `${readme.slice(0, start + README_START.length)}\n\n${inputsTables(actionDir)}\n\n${readme.slice(end)}`;
}

async function serveEmulator() {
  // Detach a long-lived emulator and print its endpoint and token as step outputs.
  const ready = join(mkdtempSync(join(tmpdir(), "railyard-emulator-")), "ready.json");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "test/action/serve-emulator.ts"), ready],
    {
      cwd: root,
      detached: true,
      stdio: "ignore",
    },
  );
  child.unref();
  for (let i = 0; i < 600 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(ready)) throw new Error("the emulator did not start within 60 s");
  const info = JSON.parse(readFileSync(ready, "utf8"));
  console.log(`endpoint=${info.endpoint}`);
  console.log(`token=${info.token}`);
  console.log(`pid=${child.pid}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, ...rest] = process.argv.slice(2);
  try {
    if (command === "run") {
      const inputs = {};
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] === "--input") {
          const pair = rest[++i] ?? "";
          inputs[pair.slice(0, pair.indexOf("="))] = pair.slice(pair.indexOf("=") + 1);
        }
      }
      const result = await runAction({ inputs, workspace: process.cwd() });
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      console.log(JSON.stringify({ outputs: result.outputs }, null, 2));
      process.exit(result.exitCode);
    } else if (command === "docs") {
      const docPath = join(root, "docs/action-inputs.md");
      const readmePath = join(root, "README.md");
      const readme = readFileSync(readmePath, "utf8");
      const wanted = [
        [docPath, existsSync(docPath) ? readFileSync(docPath, "utf8") : "", inputsDoc()],
        [readmePath, readme, readmeWithInputs(readme)],
      ];
      if (rest.includes("--check")) {
        const stale = wanted.filter(([, text, want]) => text !== want).map(([path]) => path);
        if (stale.length > 0) {
          console.error(`${stale.join(", ")} out of date: run \`node scripts/action-harness.mjs docs\``);
          process.exit(1);
        }
      } else for (const [path, , want] of wanted) writeFileSync(path, want);
    } else if (command === "serve-emulator") {
      await serveEmulator();
    } else {
      console.error("usage: action-harness.mjs run --input name=value ... | docs [--check] | serve-emulator");
      process.exit(2);
    }
  } catch (error) {
    console.error(`action-harness: ${error.message}`);
    process.exit(1);
  }
}
