// Installs everything the project needs on this machine: npm packages for the action, the
// backend and the frontend (each has its own lockfile), and, as root on Debian (or with
// passwordless sudo), the system packages the tests and `npm run local` use (chromium for the
// browser checks; podman, runc and debootstrap for the container proof and the backend
// image). Uses only Node's built-ins, so it runs on a fresh clone before anything is installed.
//   node scripts/setup.mjs             npm packages
//   node scripts/setup.mjs --system    npm packages, then the system packages (exit 1 if it cannot)
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const log = (message) => console.log(`railyard setup: ${message}`);

/** The system packages `npm test` and `npm run local` use, by the command each provides. */
export const SYSTEM_PACKAGES = {
  chromium: "chromium",
  podman: "podman",
  runc: "runc",
  debootstrap: "debootstrap",
};

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", ...options });
  if (result.status !== 0) {
    console.error(
      `railyard setup: \`${command} ${args.join(" ")}\` failed (exit ${result.status ?? result.signal}).`,
    );
    process.exit(1);
  }
}

function passwordlessSudo() {
  return has("sudo") && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0;
}

function has(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/**
 * Installs the missing ones of `wanted` ({command: Debian package}) with apt-get when running
 * as root on Debian (or as a user with passwordless sudo, as on CI runners). Returns what is still missing and why; without `optional`, a package it
 * cannot install ends the process with exit 1 and the apt-get line to run.
 */
export function installSystemPackages(wanted = SYSTEM_PACKAGES, { optional = false } = {}) {
  const missing = Object.entries(wanted)
    .filter(([command]) => !has(command))
    .map(([, pkg]) => pkg);
  if (missing.length === 0) return { missing: [] };
  const hint = `install them with: sudo apt-get install -y ${missing.join(" ")}`;
  let reason;
  if (!has("apt-get")) reason = "this machine has no apt-get";
  else if (process.getuid?.() !== 0 && !passwordlessSudo())
    reason = "not running as root (and no passwordless sudo)";
  if (reason !== undefined) {
    if (!optional) {
      console.error(`railyard setup: missing ${missing.join(", ")} (${reason}); ${hint}`);
      process.exit(1);
    }
    log(`missing ${missing.join(", ")} (${reason}); ${hint}`);
    return { missing, reason: `${reason}; ${hint}` };
  }
  log(`installing ${missing.join(", ")} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  // Wait for another apt-get (a parallel run) instead of failing on its lock.
  const lock = ["-o", "DPkg::Lock::Timeout=300"];
  // Not root but allowed (a CI runner's user): the same commands through `sudo -n`.
  const apt = (args) =>
    process.getuid?.() === 0
      ? ["apt-get", args]
      : ["sudo", ["-n", "--preserve-env=DEBIAN_FRONTEND", "apt-get", ...args]];
  const steps = [
    apt([...lock, "update", "-qq"]),
    apt([...lock, "install", "-y", "-qq", "--no-install-recommends", ...missing]),
  ];
  for (const [command, args] of steps) {
    if (!optional) {
      run(command, args, { env });
      continue;
    }
    const result = spawnSync(command, args, { stdio: "inherit", env });
    if (result.status !== 0) {
      const why = `\`${command} ${args.join(" ")}\` failed (exit ${result.status ?? result.signal})`;
      log(why);
      return { missing, reason: why };
    }
  }
  const still = Object.entries(wanted)
    .filter(([command]) => !has(command))
    .map(([, pkg]) => pkg);
  return still.length === 0
    ? { missing: [] }
    : { missing: still, reason: "apt-get installed them but their commands are not on PATH" };
}

export function installNodePackages() {
  for (const dir of [root, join(root, "backend"), join(root, "frontend")]) {
    if (!existsSync(join(dir, "package.json"))) continue;
    const lock = join(dir, "package-lock.json");
    const installed = join(dir, "node_modules/.package-lock.json");
    // npm writes node_modules/.package-lock.json on every install: newer than the lockfile
    // means the packages match it.
    if (existsSync(installed) && (!existsSync(lock) || statSync(installed).mtimeMs >= statSync(lock).mtimeMs))
      continue;
    log(`npm ${existsSync(lock) ? "ci" : "install"} in ${dir === root ? "." : dir.slice(root.length + 1)}`);
    run("npm", [existsSync(lock) ? "ci" : "install", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: dir,
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  installNodePackages();
  if (process.argv.includes("--system")) installSystemPackages(SYSTEM_PACKAGES);
}
