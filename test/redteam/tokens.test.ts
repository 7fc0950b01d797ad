// Red team, area "tokens": one row per token a hostile or unlucky user hands Railyard, run
// through the CLI against the emulator. A token with whitespace around it is trimmed and the
// run says so; a token Railway refuses is answered "the token is invalid or expired" with exit 2,
// never "set project-id" or "check the network" after seconds of retries. Issue 13, finding 8.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { cli } from "../../action/src/cli.ts";
import { type Fixture, startFixture } from "../client/support.ts";

let fx: Fixture;
let repo: string;

beforeAll(async () => {
  fx = await startFixture({ durationMs: 100 });
  repo = mkdtempSync(join(tmpdir(), "railyard-tokens-"));
  writeFileSync(join(repo, "railway.toml"), "[services.api]\n");
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, stdio: "ignore" });
  git("init", "-q");
  git("add", ".");
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "config");
});
afterAll(async () => {
  await fx?.stop();
  rmSync(repo, { recursive: true, force: true });
});

async function plan(env: Record<string, string>, extra: string[] = []) {
  const out: string[] = [];
  const spies = [
    vi.spyOn(console, "log").mockImplementation((...args) => void out.push(args.join(" "))),
    vi.spyOn(console, "error").mockImplementation((...args) => void out.push(args.join(" "))),
  ];
  const started = Date.now();
  try {
    const code = await cli(
      ["plan", "--endpoint", fx.emulator.graphqlUrl, "--repo", repo, "--environment", "production", ...extra],
      env,
    );
    return { code, text: out.join("\n"), ms: Date.now() - started };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

interface Row {
  name: string;
  env: () => Record<string, string>;
  extra?: string[];
  code: number;
  says: RegExp;
  never?: RegExp;
}

const garbage = "rw_Not-A-Real-Token-0123456789abcdef";
const rows: Row[] = [
  {
    name: "a project token with a trailing newline",
    env: () => ({ RAILWAY_TOKEN: `${fx.tokens.project}\n` }),
    code: 0,
    says: /whitespace around it.*removed/,
    never: /network|invalid/i,
  },
  {
    name: "a project token with CRLF and spaces around it",
    env: () => ({ RAILWAY_TOKEN: `  ${fx.tokens.project}\r\n` }),
    code: 0,
    says: /whitespace around it.*removed/,
  },
  {
    name: "an account token with a trailing newline and project-id",
    env: () => ({ RAILWAY_API_TOKEN: `${fx.tokens.account}\n` }),
    extra: ["--project", "proj-main"],
    code: 0,
    says: /whitespace around it.*removed/,
  },
  {
    name: "an invalid token without project-id",
    env: () => ({ RAILWAY_TOKEN: garbage }),
    code: 2,
    says: /the token is invalid or expired/,
    never: /project-id|network/,
  },
  {
    name: "an invalid token with project-id",
    env: () => ({ RAILWAY_API_TOKEN: garbage }),
    extra: ["--project", "proj-main"],
    code: 2,
    says: /the token is invalid or expired/,
    never: /network/,
  },
  {
    name: "an invalid token with a trailing newline",
    env: () => ({ RAILWAY_TOKEN: `${garbage}\n` }),
    code: 2,
    says: /the token is invalid or expired/,
    never: /network/,
  },
  {
    name: "a valid token with one character changed",
    env: () => ({ RAILWAY_TOKEN: `${fx.tokens.project.slice(0, -1)}x` }),
    code: 2,
    says: /the token is invalid or expired/,
  },
  {
    name: "a token with a space inside",
    env: () => ({ RAILWAY_TOKEN: `${fx.tokens.project.slice(0, 8)} ${fx.tokens.project.slice(8)}` }),
    code: 2,
    says: /whitespace or control characters inside/,
  },
  {
    name: "a token with a NUL inside",
    env: () => ({ RAILWAY_TOKEN: `${fx.tokens.project}\u0000x` }),
    code: 2,
    says: /whitespace or control characters inside/,
  },
  {
    name: "a token of only whitespace",
    env: () => ({ RAILWAY_TOKEN: " \n\t " }),
    code: 2,
    says: /needs a Railway token/,
  },
  {
    name: "a project token of another environment",
    env: () => ({ RAILWAY_TOKEN: fx.tokens.prProject }),
    code: 2,
    says: /environment/,
    never: /invalid or expired/,
  },
  {
    name: "an account token without access to the project",
    env: () => ({ RAILWAY_API_TOKEN: fx.tokens.otherProjectOnly }),
    extra: ["--project", "proj-main"],
    code: 2,
    says: /no access to project proj-main/,
    never: /invalid or expired/,
  },
];

describe("red team: tokens", () => {
  it.each(rows)("$name", async (row) => {
    const run = await plan(row.env(), row.extra);
    expect(run.text).toMatch(row.says);
    if (row.never) expect(run.text).not.toMatch(row.never);
    expect(run.code, run.text).toBe(row.code);
    // A refused token is answered at once, not after seconds of retries.
    if (row.code === 2) expect(run.text).not.toMatch(/retrying/);
  });
});
