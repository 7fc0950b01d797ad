// Measures a cold `npm run build` (the command Railway runs) and prints one JSON line.
// Usage: node bench/build-time.mjs   (from frontend/; rebuilds .next)
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nextDir = path.join(frontendDir, ".next");

function sizeOf(dir) {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    bytes += entry.isDirectory() ? sizeOf(full) : statSync(full).size;
  }
  return bytes;
}

rmSync(nextDir, { recursive: true, force: true });
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NEXT_PUBLIC_API_URL: "https://api.example.com" };
delete env.NODE_ENV;
const started = performance.now();
const build = spawnSync("npm", ["run", "build"], { cwd: frontendDir, env, encoding: "utf8" });
const buildMs = Math.round(performance.now() - started);
if (build.status !== 0) {
  process.stderr.write(`frontend bench: npm run build failed (exit ${build.status})\n${build.stderr}`);
  process.exit(1);
}
process.stdout.write(
  `${JSON.stringify({ bench: "frontend-build", coldBuildMs: buildMs, nextDirBytes: sizeOf(nextDir) })}\n`,
);
