import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { differingTreeWarning, filesDifferingFrom } from "./worktree.ts";

const dir = mkdtempSync(join(tmpdir(), "railyard-worktree-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();

describe("a working tree that differs from the commit deployed", () => {
  it("lists changed and new files, and warns with the commit and a sample", async () => {
    run("init", "-q");
    writeFileSync(join(dir, "railway.toml"), '[deploy]\nstartCommand = "a"\n');
    run("add", "-A");
    run("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "one");
    const sha = run("rev-parse", "HEAD");
    expect(await filesDifferingFrom(dir, sha)).toEqual([]);
    expect(differingTreeWarning(sha, [])).toBeUndefined();
    writeFileSync(join(dir, "railway.toml"), '[deploy]\nstartCommand = "b"\n');
    writeFileSync(join(dir, "new.txt"), "x");
    const files = await filesDifferingFrom(dir, sha);
    expect(files).toEqual(["new.txt", "railway.toml"]);
    expect(differingTreeWarning(sha, files)).toBe(
      `the working tree differs from commit ${sha.slice(0, 7)} (2 files: new.txt, railway.toml): settings are read from the files on disk, but the deploy is of the commit; commit the changes, or deploy from a clean checkout`,
    );
  });
});
