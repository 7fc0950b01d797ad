// Installs everything the project needs on this machine: npm packages for the action,
// the backend and the frontend (each has its own lockfile), and, when running as root on
// Debian, the system packages the tests use (chromium for the browser tests; podman, runc
// and debootstrap for the container proof). Uses only Node's built-ins, so it runs on a
// fresh clone before anything is installed.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const log = (message) => console.log(`railyard setup: ${message}`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", ...options });
  if (result.status !== 0) {
    console.error(
      `railyard setup: \`${command} ${args.join(" ")}\` failed (exit ${result.status ?? result.signal}).`,
    );
    process.exit(1);
  }
}

function has(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

export function installSystemPackages(wanted) {
  const missing = Object.entries(wanted)
    .filter(([command]) => !has(command))
    .map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0 || !has("apt-get")) {
    console.error(
      `railyard setup: missing ${missing.join(", ")}; install them with: sudo apt-get install -y ${missing.join(" ")}`,
    );
    process.exit(1);
  }
  log(`installing ${missing.join(", ")} with apt-get`);
  run("apt-get", ["update", "-qq"]);
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

export function installNodePackages() {
  for (const dir of [".", "backend", "frontend"]) {
    if (!existsSync(`${dir}/package.json`)) continue;
    const lock = `${dir}/package-lock.json`;
    const installed = `${dir}/node_modules/.package-lock.json`;
    // npm writes node_modules/.package-lock.json on every install: newer than the lockfile
    // means the packages match it.
    if (existsSync(installed) && (!existsSync(lock) || statSync(installed).mtimeMs >= statSync(lock).mtimeMs))
      continue;
    log(`npm ${existsSync(lock) ? "ci" : "install"} in ${dir}`);
    run("npm", [existsSync(lock) ? "ci" : "install", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: dir,
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const system = process.argv.includes("--system");
  installNodePackages();
  if (system)
    installSystemPackages({
      chromium: "chromium",
      podman: "podman",
      runc: "runc",
      debootstrap: "debootstrap",
    });
}
