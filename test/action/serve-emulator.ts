// Starts the emulator for CI's self-test job (simulated deployments, the example stack with
// every required variable set) and writes {endpoint, token} to the file named by argv[2].
// Runs until killed. Used by `node scripts/action-harness.mjs serve-emulator`.
import { writeFileSync } from "node:fs";
import { startEmulator } from "../../emulator/src/index.ts";
import { ROOT, stackState } from "../e2e/helpers.ts";

const readyFile = process.argv[2];
if (!readyFile) {
  console.error("usage: serve-emulator.ts <ready-file>");
  process.exit(2);
}
const { state, token } = stackState();
const emulator = await startEmulator({
  state: state as never,
  repoDir: ROOT,
  runner: "simulated",
  simulatedDurationMs: 500,
});
writeFileSync(readyFile, JSON.stringify({ endpoint: emulator.graphqlUrl, token }));
const stop = () => emulator.stop().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
