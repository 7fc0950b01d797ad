// Child processes in their own process groups, so a whole tree (sh → npm → node) can be
// signalled at once and nothing outlives the emulator. Every group is tracked in one
// registry; a process 'exit' hook SIGKILLs whatever is left when the emulator itself ends.

import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";

export interface ProcessExit {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GroupProcess {
  readonly pid: number;
  /** Resolves once the group leader has exited and its output has been read. */
  readonly exited: Promise<ProcessExit>;
  /** SIGTERM the group, wait up to graceMs for it to empty, then SIGKILL. Resolves when the group is gone. */
  stop(graceMs: number): Promise<void>;
  /** SIGKILL the whole group now. */
  kill(): void;
}

export interface SpawnGroupOptions {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  onLine: (line: string, stream: "stdout" | "stderr") => void;
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a SIGKILL per group is all that can be done here.
  process.on("exit", () => {
    for (const pgid of liveGroups) signalGroup(pgid, "SIGKILL");
  });
}

/** Process groups started by this module that may still have members. */
export function trackedGroupIds(): number[] {
  return [...liveGroups];
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is empty
  }
}

/**
 * Whether any member of the group still runs. Zombies do not count: a member orphaned by its
 * leader is reparented to init, which may take a while to reap it, yet it runs no code.
 */
function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true; // no procfs: trust kill(2)
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    if (Number(fields[2]) === pgid && state !== "Z" && state !== "X") return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
  return true;
}

/** Spawns a command as the leader of a new process group, streaming its output line by line. */
export function spawnGroup(options: SpawnGroupOptions): GroupProcess {
  installExitHook();
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) {
    // spawn failed synchronously (ENOENT is reported through 'error'); give a process that has exited.
    const exited = new Promise<ProcessExit>((resolve) => {
      child.once("error", (error) => {
        options.onLine(`failed to start ${options.command}: ${error.message}`, "stderr");
        resolve({ code: 127, signal: null });
      });
    });
    return { pid: -1, exited, stop: async () => {}, kill: () => {} };
  }
  liveGroups.add(pid);

  let openStreams = 0;
  let stopDeadline: number | null = null;
  for (const [stream, name] of [
    [child.stdout, "stdout"],
    [child.stderr, "stderr"],
  ] as const) {
    openStreams += 1;
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on("line", (line) => options.onLine(line, name));
    lines.on("close", () => {
      openStreams -= 1;
    });
  }

  const exited = new Promise<ProcessExit>((resolve) => {
    child.once("error", (error) => {
      options.onLine(`failed to start ${options.command}: ${error.message}`, "stderr");
    });
    child.once("exit", (code, signal) => {
      // A grandchild may hold the pipes open; wait briefly for the last lines, not forever.
      const settle = async () => {
        const deadline = Date.now() + 500;
        while (openStreams > 0 && Date.now() < deadline) await sleep(10);
        // Members left behind by the leader would be orphans: end them with the leader, after
        // the grace of a stop in progress (`sh` dies of SIGTERM at once, its node child may drain).
        if (stopDeadline !== null) await waitGroupGone(pid, Math.max(0, stopDeadline - Date.now()));
        signalGroup(pid, "SIGKILL");
        await waitGroupGone(pid, 2_000);
        liveGroups.delete(pid);
        resolve({ code, signal });
      };
      void settle();
    });
  });

  const stop = async (graceMs: number): Promise<void> => {
    if (!liveGroups.has(pid)) return;
    stopDeadline = Date.now() + graceMs;
    signalGroup(pid, "SIGTERM");
    const gone = await waitGroupGone(pid, graceMs);
    if (!gone) signalGroup(pid, "SIGKILL");
    await exited;
  };

  return {
    pid,
    exited,
    stop,
    kill: () => {
      signalGroup(pid, "SIGKILL");
    },
  };
}

/** Runs a command to completion in its own group; the signal kills the group. */
export async function runGroup(options: SpawnGroupOptions & { signal?: AbortSignal }): Promise<ProcessExit> {
  const proc = spawnGroup(options);
  const onAbort = () => proc.kill();
  if (options.signal?.aborted) proc.kill();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await proc.exited;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}
