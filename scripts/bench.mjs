// `npm run bench`: runs every benchmark the project has and writes bench/RESULTS.md.
// Each bench/<name>.ts prints one JSON object on stdout; this script adds the machine it ran
// on, the cold start of the bundled action and the container figures, and renders tables.
// A benchmark whose script is missing is listed as "not run" with the reason; any benchmark
// that exists and fails makes the exit code non-zero, and so does a goal that is missed: a
// benchmark lists its goals as {goal, value, op, target, unit} and this script marks each one
// pass or fail beside the figure (it judges; the benchmark only measures). Uses only Node's built-ins.
//
//   npm run bench                       every benchmark
//   npm run bench -- --only growth,cold-start
//   npm run bench -- --skip backend-load
//   npm run bench -- --fresh-container  rerun the container check even if results exist
//
// See bench/README.md for the JSON conventions (units, ratios).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, freemem, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const ROOT = resolve(import.meta.dirname, "..");
const RESULTS_MD = join(ROOT, "bench/RESULTS.md");
const RESULTS_JSON = join(ROOT, ".railyard/bench-results.json");
const CONTAINER_RESULTS = join(ROOT, ".railyard/container-results.json");
const BENCH_TIMEOUT_MS = 20 * 60 * 1000;
const COLD_START_RUNS = 20;

/** The TypeScript benchmarks, in the order they appear in RESULTS.md. */
const SCRIPT_BENCHMARKS = [
  {
    name: "validation",
    title: "Validation throughput",
    about: "Validating 1,000 config files (parse, schema, semantic and cross-file checks).",
  },
  {
    name: "api-wait",
    title: "API requests while waiting for deployments",
    about:
      "Requests to Railway's API while waiting on 4, 16 and 64 deployments: subscriptions against polling against the baseline.",
  },
  {
    name: "pipeline",
    title: "Railyard against Railway's recipe and autodeploy",
    about:
      "Requests, wall time beyond the slowest deployment and API budget for 4, 16 and 64 services at 0 and 100 ms of API latency, with Railway's Hobby rate limits: Railyard with the action's default inputs, Railway's documented GitHub Actions recipe (`railway up --service X --ci`, one service after another) and Railway's autodeploy.",
  },
  {
    name: "exit-delay",
    title: "Exit of the action's process",
    about:
      "`node action/dist/main.js` deploying to the emulator: time from its last output to the process's exit (GitHub waits for the exit on every job).",
  },
  {
    name: "growth",
    title: "Growth",
    about: "How time, memory and API requests grow with the number of services and of changed files.",
  },
  {
    name: "local",
    title: "`npm run local` by stage",
    about:
      "`node scripts/local.mjs --exit` as a user runs it (install, databases, emulator, the pipeline on the real services, smoke test), each stage timed from its first line to the next stage's.",
  },
  {
    name: "backend-load",
    title: "Backend under load and faults",
    about:
      "The real api under concurrent loopback load with the workers running; the workers through a PostgreSQL and a Redis restart.",
  },
];

const { values: options } = parseArgs({
  options: {
    only: { type: "string" },
    skip: { type: "string" },
    "fresh-container": { type: "boolean", default: false },
    "render-only": { type: "boolean", default: false },
  },
});
const only = options.only ? new Set(options.only.split(",")) : undefined;
const skip = new Set((options.skip ?? "").split(",").filter(Boolean));
const selected = (name) => (!only || only.has(name)) && !skip.has(name);

// ---------------------------------------------------------------- machine

function machine() {
  let cpuModel = "unknown";
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((text) => text.startsWith("model name"));
    if (line) cpuModel = line.split(":").slice(1).join(":").trim();
  } catch {}
  const git = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" });
  return {
    date: new Date().toISOString(),
    cpuModel,
    nproc: availableParallelism(),
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    freeMemoryGiB: round(freemem() / 2 ** 30, 1),
    loadAverage1m: round(loadavg()[0] ?? 0, 2),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    commit: git.status === 0 ? git.stdout.trim() : "unknown",
  };
}

// ---------------------------------------------------------------- running

/** Last JSON object printed on stdout (a benchmark may print progress lines before it). */
function parseJsonOutput(stdout) {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {}
  const lines = text.split("\n").reverse();
  for (const line of lines) {
    if (!line.trim().startsWith("{")) continue;
    try {
      return JSON.parse(line);
    } catch {}
  }
  throw new Error("its stdout holds no JSON object");
}

function runScriptBenchmark(benchmark) {
  const script = join(ROOT, "bench", `${benchmark.name}.ts`);
  if (!existsSync(script))
    return { status: "not run", reason: `bench/${benchmark.name}.ts does not exist yet` };
  console.error(`\n━━ bench: ${benchmark.name} ━━`);
  const started = performance.now();
  const result = spawnSync("npx", ["tsx", script], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: BENCH_TIMEOUT_MS,
    maxBuffer: 64 * 2 ** 20,
  });
  const seconds = round((performance.now() - started) / 1000, 1);
  if (result.error?.code === "ETIMEDOUT")
    return { status: "failed", reason: `timed out after ${BENCH_TIMEOUT_MS / 60000} min`, seconds };
  if (result.status !== 0) {
    // A benchmark that ran but found its run invalid (a lost tick, a crash) still shows its numbers.
    let data;
    try {
      data = parseJsonOutput(result.stdout ?? "");
    } catch {}
    if (data !== undefined)
      return {
        status: "failed",
        reason: `exit code ${result.status ?? result.signal} (figures below)`,
        seconds,
        data,
      };
    const tail = (result.stdout ?? "").trim().split("\n").slice(-1)[0] ?? "";
    return {
      status: "failed",
      reason: `exit code ${result.status ?? result.signal}${tail ? `: ${tail.slice(0, 200)}` : ""}`,
      seconds,
    };
  }
  try {
    return { status: "ok", seconds, data: parseJsonOutput(result.stdout) };
  } catch (error) {
    return { status: "failed", reason: error.message, seconds };
  }
}

function quantile(sortedValues, q) {
  const index = Math.min(sortedValues.length - 1, Math.ceil(q * sortedValues.length) - 1);
  return sortedValues[Math.max(0, index)];
}

/** Wall time of `node <args>` over COLD_START_RUNS fresh processes. */
function timeProcess(args) {
  const times = [];
  let lastStatus = 0;
  for (let run = 0; run < COLD_START_RUNS; run += 1) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, {
      cwd: ROOT,
      stdio: "ignore",
      timeout: 30_000,
      // No GITHUB_* or INPUT_* variables: main.js runs as with no inputs.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    });
    times.push(performance.now() - started);
    lastStatus = result.status ?? -1;
  }
  times.sort((a, b) => a - b);
  return {
    medianMs: round(quantile(times, 0.5), 1),
    p90Ms: round(quantile(times, 0.9), 1),
    exitCode: lastStatus,
  };
}

function runColdStart() {
  const dist = join(ROOT, "action/dist");
  const entries = ["cli.js", "main.js"].filter((name) => existsSync(join(dist, name)));
  if (entries.length === 0)
    return { status: "not run", reason: "action/dist has no cli.js or main.js yet (run `npm run build`)" };
  console.error("\n━━ bench: cold-start ━━");
  const started = performance.now();
  // Measured in the same run, interleaved with the bundle, so the ratio survives a noisy machine.
  const bareNode = timeProcess(["-e", ""]);
  const rows = [
    { command: "node -e '' (bare Node start, baseline)", ...bareNode, ratioToBareNode: 1, bundleBytes: null },
  ];
  for (const name of entries) {
    const args = name === "cli.js" ? [join(dist, name), "--help"] : [join(dist, name)];
    const timing = timeProcess(args);
    rows.push({
      command: `node action/dist/${name}${name === "cli.js" ? " --help" : " (no inputs)"}`,
      ...timing,
      ratioToBareNode: round(timing.medianMs / bareNode.medianMs, 2),
      bundleBytes: statSync(join(dist, name)).size,
    });
  }
  return {
    status: "ok",
    seconds: round((performance.now() - started) / 1000, 1),
    data: { runsPerCommand: COLD_START_RUNS, commands: rows },
  };
}

function runContainer() {
  const script = join(ROOT, "scripts/container-test.mjs");
  if ((options["fresh-container"] || !existsSync(CONTAINER_RESULTS)) && existsSync(script)) {
    console.error("\n━━ bench: container ━━");
    const result = spawnSync(process.execPath, [script, "--bench"], {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit"],
      timeout: BENCH_TIMEOUT_MS,
    });
    if (result.status !== 0)
      return {
        status: "failed",
        reason: `scripts/container-test.mjs --bench exited with ${result.status ?? result.signal}`,
      };
  }
  if (!existsSync(CONTAINER_RESULTS)) {
    return {
      status: "not run",
      reason: existsSync(script)
        ? "scripts/container-test.mjs --bench wrote no .railyard/container-results.json"
        : "neither .railyard/container-results.json nor scripts/container-test.mjs exists yet",
    };
  }
  try {
    const data = JSON.parse(readFileSync(CONTAINER_RESULTS, "utf8"));
    return {
      status: "ok",
      source: `.railyard/container-results.json, written ${statSync(CONTAINER_RESULTS).mtime.toISOString()}`,
      data,
    };
  } catch (error) {
    return { status: "failed", reason: `.railyard/container-results.json is not JSON: ${error.message}` };
  }
}

// ---------------------------------------------------------------- goals

const COMPARE = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
};

/** The goals a benchmark declares, each judged here: {goal, value, op, target, unit, pass}. */
function judgeGoals(data) {
  const goals = Array.isArray(data?.goals) ? data.goals : [];
  return goals.map((goal) => {
    const compare = COMPARE[goal.op];
    const measured = typeof goal.value === "number" && Number.isFinite(goal.value);
    return {
      ...goal,
      pass: Boolean(compare && measured && compare(goal.value, goal.target)),
      ...(measured ? {} : { why: "not measured" }),
    };
  });
}

function goalRows(result) {
  return (result.goals ?? []).map((goal) => [
    formatScalar(goal.goal),
    `${formatScalar(goal.value, goal.unit === "ms" ? "Ms" : "")}${goal.unit ? ` ${goal.unit}` : ""}`,
    `${goal.op} ${formatScalar(goal.target)}${goal.unit ? ` ${goal.unit}` : ""}`,
    goal.pass ? "✅ pass" : `❌ **fail**${goal.why ? ` (${goal.why})` : ""}`,
  ]);
}

// ---------------------------------------------------------------- rendering

function round(value, digits = 2) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The unit a key's name implies (bench/README.md lists the suffixes). */
export function unitOf(key) {
  const rules = [
    [/Ratio|^ratio/, "×"],
    [/Ms$|Millis(econds)?$/, "ms"],
    [/Seconds$|^seconds$/, "s"],
    [/Bytes$|^bytes$/, "bytes"],
    [/KiB$/, "KiB"],
    [/MiB$/, "MiB"],
    [/Mb$|MB$|^mb$/, "MB"],
    [/GiB$/, "GiB"],
    [/PerSecond$|PerSec$|Rps$/i, "per s"],
    [/Percent$|Pct$/i, "%"],
  ];
  for (const [pattern, unit] of rules) if (pattern.test(key)) return unit;
  return "";
}

function label(key) {
  const unit = unitOf(key);
  return unit ? `${key} (${unit})` : key;
}

function formatScalar(value, key = "") {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    const text = Number.isInteger(value)
      ? value.toLocaleString("en-US")
      : Math.abs(value) >= 100
        ? value.toFixed(1)
        : Math.abs(value) >= 1
          ? value.toFixed(2)
          : value.toPrecision(3);
    if (/Bytes$/.test(key) && value >= 1024 * 1024) return `${text} (${(value / 2 ** 20).toFixed(1)} MiB)`;
    return text;
  }
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") return value.replaceAll("|", "\\|").replaceAll("\n", " ");
  return `\`${JSON.stringify(value).replaceAll("|", "\\|")}\``;
}

const isScalar = (value) => value === null || typeof value !== "object";
const isRowList = (value) =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((row) => row && typeof row === "object" && !Array.isArray(row));

function table(headers, rows) {
  return [
    `| ${headers.join(" | ")} |`,
    `| ${headers.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

/** {pipeline: {wallMs}} → {"pipeline.wallMs"}: nested objects in a row become dotted columns. */
function flatten(row, prefix = "") {
  const flat = {};
  for (const [key, value] of Object.entries(row)) {
    if (value && typeof value === "object" && !Array.isArray(value))
      Object.assign(flat, flatten(value, `${prefix}${key}.`));
    else flat[`${prefix}${key}`] = value;
  }
  return flat;
}

/** Renders any benchmark JSON: scalars as a figure table, arrays of objects as tables, objects as sections. */
function renderJson(data, depth = 3) {
  const out = [];
  if (isRowList(data)) {
    const rows = data.map((row) => flatten(row));
    const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    out.push(
      table(
        columns.map(label),
        rows.map((row) => columns.map((column) => formatScalar(row[column], column))),
      ),
    );
    return out.join("\n\n");
  }
  if (isScalar(data) || Array.isArray(data)) return formatScalar(data);
  const scalars = Object.entries(data).filter(
    ([key, value]) => (isScalar(value) || (Array.isArray(value) && !isRowList(value))) && key !== "notes",
  );
  if (scalars.length > 0)
    out.push(
      table(
        ["figure", "value", "unit"],
        scalars.map(([key, value]) => [key, formatScalar(value, key), unitOf(key)]),
      ),
    );
  for (const [key, value] of Object.entries(data)) {
    if (key === "notes") continue;
    if (isScalar(value) || (Array.isArray(value) && !isRowList(value))) continue;
    out.push(`${"#".repeat(Math.min(depth, 6))} ${key}`);
    out.push(renderJson(value, depth + 1));
  }
  const notes = data.notes;
  if (typeof notes === "string") out.push(notes);
  else if (Array.isArray(notes)) out.push(notes.map((note) => `- ${note}`).join("\n"));
  return out.join("\n\n");
}

function renderResults(host, results) {
  const lines = [
    "# Benchmark results",
    "",
    "Generated by `npm run bench` (scripts/bench.mjs); do not edit by hand. Absolute times on this shared",
    "machine are noisy: compare the ratios and counts, which each benchmark measures side by side in one run.",
    "",
    "## Machine",
    "",
    table(
      ["date", "CPU", "nproc", "memory", "load (1 min) at start", "Node", "platform", "commit"],
      [
        [
          host.date,
          host.cpuModel,
          String(host.nproc),
          `${host.memoryGiB} GiB`,
          String(host.loadAverage1m),
          host.node,
          host.platform,
          host.commit,
        ],
      ],
    ),
    "",
    "## Summary",
    "",
    "status: whether the benchmark ran and its run was valid; goals: how many of its figures that",
    "have a goal met it (every goal is listed below and beside its figure).",
    "",
    table(
      ["benchmark", "status", "goals", "duration"],
      results.map((result) => [
        result.name,
        result.status === "ok" ? "ran" : `**${result.status}**: ${formatScalar(result.reason ?? "")}`,
        (result.goals ?? []).length === 0
          ? "—"
          : `${result.goals.filter((goal) => goal.pass).length} of ${result.goals.length} met`,
        result.seconds === undefined ? "—" : `${result.seconds} s`,
      ]),
    ),
  ];
  const allGoals = results.flatMap((result) => goalRows(result).map((row) => [result.name, ...row]));
  if (allGoals.length > 0)
    lines.push("", "## Goals", "", table(["benchmark", "goal", "measured", "target", "mark"], allGoals));
  for (const result of results) {
    lines.push("", `## ${result.title}`, "", result.about, "");
    if (result.command) lines.push(`Command: \`${result.command}\``, "");
    if (result.ranAt && result.ranAt !== host.date) lines.push(`From an earlier run: ${result.ranAt}.`, "");
    if (result.source) lines.push(`Source: ${result.source}`, "");
    if (result.status !== "ok") lines.push(`**${result.status}: ${result.reason}**`, "");
    if ((result.goals ?? []).length > 0)
      lines.push(table(["goal", "measured", "target", "mark"], goalRows(result)), "");
    if (result.data !== undefined) {
      const { goals: _goals, ...figures } = result.data ?? {};
      lines.push(renderJson(result.data && typeof result.data === "object" ? figures : result.data));
    }
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------- main

if (options["render-only"]) {
  // Re-render RESULTS.md from the last run's raw results (after a change to the rendering).
  const saved = JSON.parse(readFileSync(RESULTS_JSON, "utf8"));
  for (const result of saved.results) result.goals = judgeGoals(result.data);
  writeFileSync(RESULTS_MD, renderResults(saved.machine, saved.results));
  process.exit(0);
}

const host = machine();
const results = [];
for (const benchmark of SCRIPT_BENCHMARKS) {
  if (!selected(benchmark.name)) continue;
  results.push({
    ...benchmark,
    command: `npx tsx bench/${benchmark.name}.ts`,
    ...runScriptBenchmark(benchmark),
  });
}
if (selected("cold-start"))
  results.push({
    name: "cold-start",
    title: "Cold start of the bundled action",
    about: `Wall time to start a fresh Node process on the bundle, ${COLD_START_RUNS} runs each, against a bare Node start measured in the same run.`,
    ...runColdStart(),
  });
if (selected("container"))
  results.push({
    name: "container",
    title: "Container image",
    about: "Backend image size and rebuild time after a one-line change (written by the container check).",
    ...runContainer(),
  });

for (const result of results) {
  result.ranAt = host.date;
  result.goals = judgeGoals(result.data);
}
// A partial run (--only/--skip) keeps the other benchmarks' last figures, marked with their date.
if ((only || skip.size > 0) && existsSync(RESULTS_JSON)) {
  const previous = JSON.parse(readFileSync(RESULTS_JSON, "utf8"));
  const fresh = new Set(results.map((result) => result.name));
  for (const old of previous.results ?? []) {
    if (!fresh.has(old.name)) results.push({ ...old, ranAt: old.ranAt ?? previous.machine?.date });
  }
  const order = [...SCRIPT_BENCHMARKS.map((benchmark) => benchmark.name), "cold-start", "container"];
  results.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
}

mkdirSync(join(ROOT, ".railyard"), { recursive: true });
writeFileSync(RESULTS_JSON, `${JSON.stringify({ machine: host, results }, null, 2)}\n`);
writeFileSync(RESULTS_MD, renderResults(host, results));

const ranNow = results.filter((result) => result.ranAt === host.date);
const failed = ranNow.filter((result) => result.status === "failed");
const notRun = ranNow.filter((result) => result.status === "not run");
const missed = ranNow.flatMap((result) =>
  (result.goals ?? []).filter((goal) => !goal.pass).map((goal) => ({ name: result.name, goal })),
);
const goalCount = ranNow.reduce((sum, result) => sum + (result.goals ?? []).length, 0);
console.error(
  `\nbench: ${ranNow.length - failed.length - notRun.length} ok, ${failed.length} failed, ${notRun.length} not run; ${goalCount - missed.length} of ${goalCount} goals met → bench/RESULTS.md`,
);
for (const result of [...failed, ...notRun])
  console.error(`  ${result.name}: ${result.status}: ${result.reason}`);
for (const { name, goal } of missed)
  console.error(
    `  ${name}: goal missed: ${goal.goal}: ${goal.value}${goal.unit ? ` ${goal.unit}` : ""} (goal ${goal.op} ${goal.target})`,
  );
process.exit(failed.length > 0 || missed.length > 0 ? 1 : 0);
