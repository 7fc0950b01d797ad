// Git as the pipeline needs it. Every call goes through execFile with an argument array:
// nothing from inputs or from Railway's answers ever reaches a shell.
import { execFile } from "node:child_process";

export class GitError extends Error {
  override readonly name = "GitError";
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git and resolves with its exit code; rejects only when git cannot be started. */
export function git(
  repoDir: string,
  args: string[],
  options: { maxBuffer?: number } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      {
        cwd: repoDir,
        maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024,
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
      },
      (error, stdout, stderr) => {
        if (error && typeof (error as NodeJS.ErrnoException).code === "string") {
          reject(new GitError(`cannot run git: ${error.message}`));
          return;
        }
        const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

async function gitOk(repoDir: string, args: string[]): Promise<string> {
  const result = await git(repoDir, args);
  if (result.code !== 0) {
    throw new GitError(`git ${args[0]} failed in ${repoDir}: ${result.stderr.trim().split("\n")[0] ?? ""}`);
  }
  return result.stdout;
}

const SHA = /^[0-9a-f]{7,64}$/i;

/** Resolves a ref (default HEAD) to a full commit sha. */
export async function resolveCommit(repoDir: string, ref = "HEAD"): Promise<string> {
  if (ref.startsWith("-")) throw new GitError(`not a git ref: ${ref}`);
  return (await gitOk(repoDir, ["rev-parse", "--verify", "--end-of-options", `${ref}^{commit}`])).trim();
}

export async function currentBranch(repoDir: string): Promise<string | undefined> {
  const result = await git(repoDir, ["symbolic-ref", "--quiet", "--short", "HEAD"]);
  return result.code === 0 ? result.stdout.trim() : undefined;
}

export async function isShallow(repoDir: string): Promise<boolean> {
  return (await gitOk(repoDir, ["rev-parse", "--is-shallow-repository"])).trim() === "true";
}

export async function hasCommit(repoDir: string, sha: string): Promise<boolean> {
  if (!SHA.test(sha)) return false;
  return (await git(repoDir, ["cat-file", "-e", `${sha}^{commit}`])).code === 0;
}

/** True when `ancestor` is reachable from `descendant`. */
export async function isAncestor(repoDir: string, ancestor: string, descendant: string): Promise<boolean> {
  const result = await git(repoDir, ["merge-base", "--is-ancestor", ancestor, descendant]);
  if (result.code === 0) return true;
  if (result.code === 1) return false;
  throw new GitError(`git merge-base failed: ${result.stderr.trim().split("\n")[0] ?? ""}`);
}

/** Repo-relative paths that differ between two commits (renames count on both sides). */
export async function changedFiles(repoDir: string, from: string, to: string): Promise<string[]> {
  const out = await gitOk(repoDir, ["diff", "--name-only", "--no-renames", "-z", from, to, "--"]);
  return out.split("\0").filter((path) => path.length > 0);
}

/**
 * Tries to make `sha` available in a shallow clone: deepen step by step, then unshallow.
 * Returns true when the commit is there afterwards.
 */
export async function fetchHistoryFor(repoDir: string, sha: string, remote = "origin"): Promise<boolean> {
  for (const depth of [50, 500]) {
    const result = await git(repoDir, ["fetch", "--quiet", `--deepen=${depth}`, remote]);
    if (result.code !== 0) break;
    if (await hasCommit(repoDir, sha)) return true;
  }
  const result = await git(repoDir, ["fetch", "--quiet", "--unshallow", remote]);
  if (result.code !== 0) return false;
  return hasCommit(repoDir, sha);
}

export interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
}

/** Every file (blob) of a commit's tree. Submodules are left out. */
export async function listTree(repoDir: string, sha: string): Promise<TreeEntry[]> {
  const out = await gitOk(repoDir, ["ls-tree", "-r", "-z", "--full-tree", sha]);
  const entries: TreeEntry[] = [];
  for (const record of out.split("\0")) {
    if (!record) continue;
    const tab = record.indexOf("\t");
    const [mode, type, oid] = record.slice(0, tab).split(" ");
    if (type !== "blob" || !mode || !oid) continue;
    entries.push({ mode, oid, path: record.slice(tab + 1) });
  }
  return entries;
}

/** Reads many blobs in one `git cat-file --batch` process. */
export async function readBlobs(repoDir: string, oids: string[]): Promise<Map<string, Buffer>> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["cat-file", "--batch"], { cwd: repoDir, stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", (error) => reject(new GitError(`cannot run git: ${error.message}`)));
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new GitError(`git cat-file failed (exit ${code})`));
        return;
      }
      const data = Buffer.concat(chunks);
      const blobs = new Map<string, Buffer>();
      let offset = 0;
      while (offset < data.length) {
        const newline = data.indexOf(10, offset);
        const header = data.subarray(offset, newline).toString("utf8").split(" ");
        const size = Number(header[2]);
        const start = newline + 1;
        if (header[1] === "missing" || !Number.isFinite(size)) {
          offset = start;
          continue;
        }
        blobs.set(header[0] ?? "", data.subarray(start, start + size));
        offset = start + size + 1;
      }
      resolve(blobs);
    });
    child.stdin.end(`${oids.join("\n")}\n`);
  });
}

/** The content of one file at a commit, or undefined when the commit has no such file. */
export async function readFileAt(repoDir: string, sha: string, path: string): Promise<string | undefined> {
  const result = await git(repoDir, ["show", `${sha}:${path}`]);
  return result.code === 0 ? result.stdout : undefined;
}
