// How long `node action/dist/main.js` lingers after its last output (issue 14): the bundled
// action deploys the example stack to the emulator (simulated deployments, followed over a
// subscription), several times; each run's time from its last byte of output to its exit.
// Inputs: the action's defaults but smoke (the simulated services serve no pages) and
// stability-seconds 1 (the window is part of the work, before the report; 1 s keeps runs short).
// Prints one JSON object.  Run: npx tsx bench/exit-delay.ts [--runs 5]
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startEmulator } from "../emulator/src/index.ts";
import { cloneRepo, stackState } from "../test/e2e/helpers.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const runs = Number(values.runs);
const ROOT = join(import.meta.dirname, "..");

const repo = cloneRepo();
const stack = stackState();
const emulator = await startEmulator({
  state: stack.state as never,
  repoDir: repo.dir,
  runner: "simulated",
  simulatedDurationMs: 300,
});

function runMain(): Promise<{ code: number | null; runMs: number; exitAfterLastOutputMs: number }> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    GITHUB_WORKSPACE: repo.dir,
    INPUT_MODE: "redeploy",
    "INPUT_RAILWAY-TOKEN": stack.token,
    INPUT_ENDPOINT: emulator.graphqlUrl,
    INPUT_SMOKE: "false",
    "INPUT_STABILITY-SECONDS": "1",
  };
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, "action/dist/main.js")], {
    cwd: repo.dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let last = started;
  const seen = () => {
    last = performance.now();
  };
  child.stdout.on("data", seen);
  child.stderr.on("data", seen);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      const now = performance.now();
      resolve({ code, runMs: now - started, exitAfterLastOutputMs: now - last });
    });
  });
}

const rows = [];
try {
  for (let run = 1; run <= runs; run++) {
    const result = await runMain();
    process.stderr.write(
      `exit-delay: run ${run}: exit ${result.code}, ${Math.round(result.exitAfterLastOutputMs)} ms after the last output\n`,
    );
    rows.push({
      run,
      exitCode: result.code,
      runMs: Math.round(result.runMs),
      exitAfterLastOutputMs: Math.round(result.exitAfterLastOutputMs),
    });
  }
} finally {
  await emulator.stop();
  repo.remove();
}
const delays = rows.map((row) => row.exitAfterLastOutputMs).sort((a, b) => a - b);
const worst = delays[delays.length - 1] ?? Number.NaN;
console.log(
  JSON.stringify({
    benchmark: "exit-delay",
    runs,
    webSocketConnections: emulator.stats.webSocketConnections,
    medianExitAfterLastOutputMs: delays[Math.floor(delays.length / 2)],
    maxExitAfterLastOutputMs: worst,
    results: rows,
    goals: [
      {
        goal: "main.js exits within a second of its last output (worst of the runs)",
        value: worst,
        op: "<",
        target: 1000,
        unit: "ms",
      },
    ],
    notes: [
      "Measured from outside on a child process: from the last byte main.js writes (stdout or stderr) to its exit event.",
      "webSocketConnections > 0 shows the runs followed deployments over a subscription (the socket an idle timer could hold open).",
    ],
  }),
);
if (rows.some((row) => row.exitCode !== 0)) process.exit(1);
