// Reading one config file from the repository, safely: a symlink is resolved and must stay
// inside the repository and end at a regular file; the size read is capped; the text must be
// UTF-8. Every refusal is a finding with the file's name, never a silent skip, and never any of
// the refused file's contents. See docs/decisions/0128-config-file-reading.md.

import { closeSync, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { Finding } from "./types.ts";

/** The largest config file Railyard reads. Real ones are a few kilobytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function finding(path: string, code: string, message: string, line = 1, column = 1): Finding {
  return { severity: "error", code, message, location: { file: path, line, column } };
}

/** True when `inner` (a real path) is `root` or inside it. */
function inside(root: string, inner: string): boolean {
  const rel = relative(root, inner);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** Byte offset of the first byte that is not valid UTF-8, or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= bytes.length) return i;
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Line and column (1-based, in characters) of a byte offset in valid UTF-8 bytes before it. */
function positionOf(bytes: Uint8Array, offset: number): { line: number; column: number } {
  const before = Buffer.from(bytes.subarray(0, offset)).toString("utf8");
  const lines = before.split("\n");
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/**
 * The text of a repo-relative config file, or the one finding that says why it is not read:
 * missing or a broken link, a link that leaves the repository, not a regular file (device, FIFO,
 * folder), larger than MAX_CONFIG_BYTES, or not UTF-8 (with the byte offset).
 */
export function readConfigFile(repoDir: string, path: string): { text: string } | { finding: Finding } {
  const full = join(repoDir, path);
  let link = false;
  try {
    link = lstatSync(full).isSymbolicLink();
  } catch {
    return { finding: finding(path, "file-not-found", `cannot read ${path}`) };
  }
  let real: string;
  try {
    real = realpathSync(full);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ELOOP" ? "a symlink loop" : "a symlink to a file that does not exist";
    return { finding: finding(path, "file-not-found", `cannot read ${path}: it is ${why}`) };
  }
  let root: string;
  try {
    root = realpathSync(repoDir);
  } catch {
    root = repoDir;
  }
  if (!inside(root, real)) {
    return {
      finding: finding(
        path,
        "file-outside-repository",
        `${path} leads outside the repository (through a symlink); Railyard reads config files only inside it`,
      ),
    };
  }
  const stats = statSync(real);
  if (!stats.isFile()) {
    const kind = stats.isDirectory()
      ? "a folder"
      : stats.isCharacterDevice() || stats.isBlockDevice()
        ? "a device"
        : stats.isFIFO()
          ? "a named pipe"
          : stats.isSocket()
            ? "a socket"
            : "not a regular file";
    return {
      finding: finding(
        path,
        "not-a-file",
        `${path} is ${kind}${link ? " (through a symlink)" : ""}, not a config file`,
      ),
    };
  }
  if (stats.size > MAX_CONFIG_BYTES) {
    return {
      finding: finding(
        path,
        "file-too-large",
        `${path} is ${stats.size} bytes; a config file may be at most ${MAX_CONFIG_BYTES} bytes (1 MiB)`,
      ),
    };
  }
  // Read at most the cap (+1 to notice a file that grew), whatever the size said.
  const fd = openSync(real, "r");
  let bytes: Buffer;
  try {
    if (!fstatSync(fd).isFile())
      return { finding: finding(path, "not-a-file", `${path} is not a regular file`) };
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_CONFIG_BYTES) {
        return {
          finding: finding(
            path,
            "file-too-large",
            `${path} is larger than ${MAX_CONFIG_BYTES} bytes (1 MiB)`,
          ),
        };
      }
    }
    bytes = buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
  const bad = invalidUtf8Offset(bytes);
  if (bad !== -1) {
    const { line, column } = positionOf(bytes, bad);
    return {
      finding: finding(
        path,
        "invalid-utf8",
        `${path} is not valid UTF-8: byte 0x${(bytes[bad] as number).toString(16).padStart(2, "0")} at byte offset ${bad}`,
        line,
        column,
      ),
    };
  }
  return { text: bytes.toString("utf8") };
}
