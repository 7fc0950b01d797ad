// Red team, area "symlinks": one row per file a hostile or unlucky repository holds where a
// railway.toml should be. Whether named in config-files or found by discovery, a file that is a
// symlink is resolved; anything that leaves the repository, is not a regular file or is too big
// is refused with a finding that names it, never followed, never skipped without a word, and
// none of its contents reach a message. Issue 13, finding 7.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatFindings, loadConfig } from "../../action/src/config/index.ts";

let base: string;
const OUTSIDE_SECRET = "outside-file-contents-4f9a";

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "railyard-symlinks-"));
  mkdirSync(join(base, "outside"));
  writeFileSync(join(base, "outside", "railway.toml"), `[services.${OUTSIDE_SECRET}]\n`);
  writeFileSync(join(base, "outside", "secret.txt"), `${OUTSIDE_SECRET}\n`);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

let count = 0;
/** A fresh repository with `setup` applied; returns its folder. */
function repo(setup: (dir: string) => void): string {
  const dir = join(base, `repo-${count++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "railway.toml"), "[services.api]\n");
  setup(dir);
  return dir;
}

interface Row {
  name: string;
  setup: (dir: string) => void;
  /** config-files entry; undefined: discovery. */
  file?: string;
  code?: string;
  /** Services that must be loaded (the link is inside the repository and valid). */
  services?: string[];
}

const rows: Row[] = [
  {
    name: "config-files entry: a symlink to a file outside the repository",
    setup: (d) => symlinkSync(join(base, "outside", "railway.toml"), join(d, "linked.toml")),
    file: "linked.toml",
    code: "file-outside-repository",
  },
  {
    name: "config-files entry: a symlink to a secret outside, by a relative path",
    setup: (d) => symlinkSync("../outside/secret.txt", join(d, "rel.toml")),
    file: "rel.toml",
    code: "file-outside-repository",
  },
  {
    name: "config-files entry: a symlink to /dev/zero",
    setup: (d) => symlinkSync("/dev/zero", join(d, "zero.toml")),
    file: "zero.toml",
    code: "file-outside-repository",
  },
  {
    name: "config-files entry: a symlink to /proc/self/environ",
    setup: (d) => symlinkSync("/proc/self/environ", join(d, "env.toml")),
    file: "env.toml",
    code: "file-outside-repository",
  },
  {
    name: "config-files entry: a folder",
    setup: (d) => mkdirSync(join(d, "folder.toml")),
    file: "folder.toml",
    code: "not-a-file",
  },
  {
    name: "config-files entry: a symlink to a folder inside",
    setup: (d) => {
      mkdirSync(join(d, "sub"));
      symlinkSync("sub", join(d, "dirlink.toml"));
    },
    file: "dirlink.toml",
    code: "not-a-file",
  },
  {
    name: "config-files entry: a named pipe",
    setup: (d) => execFileSync("mkfifo", [join(d, "pipe.toml")]),
    file: "pipe.toml",
    code: "not-a-file",
  },
  {
    name: "config-files entry: under a symlinked folder that leaves the repository",
    setup: (d) => symlinkSync(join(base, "outside"), join(d, "out")),
    file: "out/railway.toml",
    code: "file-outside-repository",
  },
  {
    name: "config-files entry: a dangling symlink",
    setup: (d) => symlinkSync("nowhere.toml", join(d, "dangling.toml")),
    file: "dangling.toml",
    code: "file-not-found",
  },
  {
    name: "config-files entry: a symlink loop",
    setup: (d) => {
      symlinkSync("loop-b.toml", join(d, "loop-a.toml"));
      symlinkSync("loop-a.toml", join(d, "loop-b.toml"));
    },
    file: "loop-a.toml",
    code: "file-not-found",
  },
  {
    name: "config-files entry: a file of 2 MiB",
    setup: (d) => writeFileSync(join(d, "big.toml"), `# ${"x".repeat(2 * 1024 * 1024)}\n`),
    file: "big.toml",
    code: "file-too-large",
  },
  {
    name: "config-files entry: a symlink inside the repository is followed",
    setup: (d) => {
      mkdirSync(join(d, "web"));
      writeFileSync(join(d, "web", "real.toml"), "[services.web]\n");
      symlinkSync("real.toml", join(d, "web", "railway.toml"));
    },
    file: "web/railway.toml",
    services: ["web"],
  },
  {
    name: "discovery: a symlinked railway.toml inside the repository is read, not skipped",
    setup: (d) => {
      mkdirSync(join(d, "svc"));
      writeFileSync(join(d, "svc", "config.toml"), "[services.worker]\n");
      symlinkSync("config.toml", join(d, "svc", "railway.toml"));
    },
    services: ["api", "worker"],
  },
  {
    name: "discovery: a symlinked railway.toml leading outside is refused with a finding",
    setup: (d) => {
      mkdirSync(join(d, "svc"));
      symlinkSync(join(base, "outside", "railway.toml"), join(d, "svc", "railway.toml"));
    },
    code: "file-outside-repository",
  },
  {
    name: "discovery: a railway.toml that is a symlink to /dev/zero",
    setup: (d) => {
      mkdirSync(join(d, "z"));
      symlinkSync("/dev/zero", join(d, "z", "railway.toml"));
    },
    code: "file-outside-repository",
  },
  {
    name: "discovery: a railway.toml that is a named pipe",
    setup: (d) => {
      mkdirSync(join(d, "p"));
      execFileSync("mkfifo", [join(d, "p", "railway.json")]);
    },
    code: "not-a-file",
  },
  {
    name: "discovery: a dangling railway.toml symlink",
    setup: (d) => {
      mkdirSync(join(d, "gone"));
      symlinkSync("missing.toml", join(d, "gone", "railway.toml"));
    },
    code: "file-not-found",
  },
];

describe("red team: symlinks and other non-files", () => {
  it.each(rows)("$name", async (row) => {
    const dir = repo(row.setup);
    const loaded = await loadConfig({ repoDir: dir, ...(row.file ? { files: [row.file] } : {}) });
    const printed = formatFindings(loaded.findings);
    expect(printed).not.toContain(OUTSIDE_SECRET);
    expect(loaded.services.map((s) => s.name)).not.toContain(OUTSIDE_SECRET);
    if (row.code) {
      const hit = loaded.findings.find((f) => f.code === row.code);
      expect(hit, printed).toBeDefined();
      expect(hit?.severity).toBe("error");
      // The message names the file the user gave or Railyard found.
      expect(hit?.message).toContain((hit?.location.file ?? "x").split("/").pop());
    }
    if (row.services) {
      expect(loaded.services.map((s) => s.name).sort()).toEqual(row.services);
      expect(loaded.findings.filter((f) => f.severity === "error")).toEqual([]);
    }
  });
});
