// The source tarball a `railway up` would send, built from the exact commit (not the work
// tree): tracked files only, so .gitignore is followed by construction; .railwayignore and
// the always-skipped .git and node_modules are applied on top.
import { gzipSync } from "node:zlib";
import ignore from "ignore";
import { listTree, readBlobs, readFileAt } from "../git/git.ts";

const BLOCK = 512;

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, "0")}\0`;
}

function header(name: string, size: number, mode: number, type: string): Buffer {
  const block = Buffer.alloc(BLOCK, 0);
  block.write(name.slice(0, 100), 0, "utf8");
  block.write(octal(mode, 8), 100, "ascii");
  block.write(octal(0, 8), 108, "ascii");
  block.write(octal(0, 8), 116, "ascii");
  block.write(octal(size, 12), 124, "ascii");
  block.write(octal(0, 12), 136, "ascii");
  block.write("        ", 148, "ascii");
  block.write(type, 156, "ascii");
  block.write("ustar\0", 257, "ascii");
  block.write("00", 263, "ascii");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return block;
}

function padded(data: Buffer): Buffer[] {
  const rest = data.length % BLOCK;
  return rest === 0 ? [data] : [data, Buffer.alloc(BLOCK - rest, 0)];
}

/** A pax extended header carrying a long path. */
function paxPath(path: string): Buffer[] {
  const body = (length: number) => `${length} path=${path}\n`;
  let length = Buffer.byteLength(body(0));
  while (Buffer.byteLength(body(length)) !== length) length = Buffer.byteLength(body(length));
  const data = Buffer.from(body(length), "utf8");
  return [header("PaxHeader", data.length, 0o644, "x"), ...padded(data)];
}

export function tarEntries(files: { path: string; mode: number; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    if (Buffer.byteLength(file.path) > 100) parts.push(...paxPath(file.path));
    parts.push(header(file.path, file.data.length, file.mode, "0"), ...padded(file.data));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}

export function isAlwaysSkipped(path: string): boolean {
  return path.split("/").some((segment) => segment === ".git" || segment === "node_modules");
}

/** Gzipped tarball of the repository at `commitSha`, paths relative to the repo root. */
export async function sourceTarball(
  repoDir: string,
  commitSha: string,
): Promise<{ tarball: Uint8Array; files: number }> {
  const entries = (await listTree(repoDir, commitSha)).filter((entry) => !isAlwaysSkipped(entry.path));
  const railwayIgnore = await readFileAt(repoDir, commitSha, ".railwayignore");
  const ignored = railwayIgnore ? ignore().add(railwayIgnore) : undefined;
  // Symlinks (120000) are stored as small files holding their target; good enough for a build context.
  const kept = entries.filter((entry) => entry.mode !== "160000" && !ignored?.ignores(entry.path));
  const blobs = await readBlobs(
    repoDir,
    kept.map((entry) => entry.oid),
  );
  const files = kept.map((entry) => ({
    path: entry.path,
    mode: entry.mode === "100755" ? 0o755 : 0o644,
    data: blobs.get(entry.oid) ?? Buffer.alloc(0),
  }));
  return { tarball: gzipSync(tarEntries(files)), files: files.length };
}
