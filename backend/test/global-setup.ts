import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// Role tests run the compiled entry point (node dist/main.js), as the container does:
// build it once for the whole run.
export default function setup(): void {
  const backendDir = fileURLToPath(new URL("..", import.meta.url));
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
    cwd: backendDir,
    stdio: "inherit",
  });
}
