// Builds the backend image from backend/Dockerfile, unchanged, with podman. The build gets the
// host's npm registry and CA bundle through mounts and the "npm_ca" build secret (see podman.mjs).
//
//   node scripts/container/backend-image.mjs [--tag localhost/railyard-backend:test] [--context backend] [--no-cache]
import { resolve } from "node:path";
import { ensureBaseImage } from "./base-image.mjs";
import { BUILD_ARGS, npmBuildMounts, podman, seconds } from "./podman.mjs";

export const BACKEND_TAG = "localhost/railyard-backend:test";

/** Builds contextDir/Dockerfile as tag; returns the exit code, the full output and the duration. */
export async function buildBackendImage({
  contextDir = "backend",
  tag = BACKEND_TAG,
  log,
  extraArgs = [],
} = {}) {
  const mounts = npmBuildMounts();
  try {
    const context = resolve(contextDir);
    const result = await podman(
      [
        "build",
        ...BUILD_ARGS,
        ...mounts.args,
        ...extraArgs,
        "-f",
        resolve(context, "Dockerfile"),
        "-t",
        tag,
        context,
      ],
      { log },
    );
    return { ...result, output: `${result.stdout}\n${result.stderr}` };
  } finally {
    mounts.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const option = (name, fallback) => {
    const index = process.argv.indexOf(name);
    return index >= 0 ? process.argv[index + 1] : fallback;
  };
  try {
    await ensureBaseImage({ log: (line) => console.error(`base image: ${line}`) });
  } catch (error) {
    console.error(`base image: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const tag = option("--tag", BACKEND_TAG);
  const result = await buildBackendImage({
    contextDir: option("--context", "backend"),
    tag,
    log: (line) => console.log(line),
    extraArgs: process.argv.includes("--no-cache") ? ["--no-cache"] : [],
  });
  console.log(
    result.code === 0
      ? `built ${tag} in ${seconds(result.ms)} s`
      : `build of ${tag} failed (exit ${result.code})`,
  );
  process.exit(result.code === 0 ? 0 : 1);
}
