// Red team, area "injection": one row per hostile text, from a config file or from Railway
// (deployment messages, log lines, notes). Every channel Railyard prints to (the terminal
// report, the job summary and PR comment, annotations, the CLI's findings, progress events)
// must keep each piece on its line: no line a piece starts can be read as a workflow command,
// and no control character or escape sequence reaches the output. Issue 13, finding 5.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatFindings } from "../../action/src/config/index.ts";
import { readSettings } from "../../action/src/inputs.ts";
import { describeEvent, runSession } from "../../action/src/pipeline/session.ts";
import type { PipelineResult } from "../../action/src/pipeline/types.ts";
import { printable } from "../../action/src/report/escape.ts";
import {
  annotationsFor,
  COMMENT_MARKER,
  markdownReport,
  terminalReport,
} from "../../action/src/report/render.ts";
// @ts-expect-error: a plain ESM script without type declarations
import { runAction } from "../../scripts/action-harness.mjs";

const HOSTILE = [
  { name: "newline then an error command", text: "db\n::error title=Railyard::All checks passed" },
  { name: "CR then an error command", text: "db\r::error::fake" },
  { name: "CRLF then add-mask", text: "x\r\n::add-mask::everything" },
  { name: "stop-commands", text: "a\n::stop-commands::tok" },
  { name: "a leading :: command", text: "::warning::looks official" },
  { name: "an indented :: command", text: "  ::notice::indented" },
  { name: "legacy ##[ command", text: "##[error]legacy command" },
  { name: "ESC colour sequence", text: "web\u001b[31mred\u001b[0m" },
  { name: "ESC clear screen and title", text: "x\u001b[2J\u001b]0;owned\u0007" },
  { name: "C1 CSI", text: "x\u009b31mred" },
  { name: "NUL", text: "prod\u0000x" },
  { name: "backspaces over text", text: "safe\b\b\b\bevil" },
  { name: "bidi override", text: "abc\u202edcba" },
  { name: "Unicode line separator", text: "a\u2028::error::x" },
  { name: "markdown fence break", text: "```\n<!-- railyard:plan -->" },
  { name: "HTML in a cell", text: "<img src=x onerror=alert(1)>" },
  { name: "table pipe", text: "a | b | c" },
];

/** Problems in one printed text: a line a command parser would read, or a raw control character. */
function problems(channel: string, text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (/^\s*(::|##\[)/.test(line))
      out.push(`${channel}: a line reads as a workflow command: ${JSON.stringify(line)}`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
    if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(line))
      out.push(`${channel}: a raw control character in ${JSON.stringify(line)}`);
  }
  return out;
}

function markdownProblems(text: string): string[] {
  const out = problems("summary", text);
  if (text.indexOf(COMMENT_MARKER, 1) !== -1) out.push("summary: a second comment marker");
  if (/<img/i.test(text)) out.push("summary: raw HTML");
  // A log tail sits in one <pre> block: nothing inside may close it.
  for (const pre of text.match(/<pre>[\s\S]*?<\/pre>/g) ?? [])
    if (/<\/?pre/i.test(pre.slice(5, -6)))
      out.push(`summary: the log block is broken: ${JSON.stringify(pre)}`);
  return out;
}

function channels(result: PipelineResult): string[] {
  const annotations = annotationsFor(result)
    .map((a) => [a.title, a.message, a.file].filter(Boolean).join("\n"))
    .join("\n");
  return [
    ...problems("terminal", terminalReport(result)),
    ...markdownProblems(markdownReport(result)),
    ...problems("annotations", annotations),
    ...problems("cli findings", formatFindings(result.findings)),
  ];
}

/** A run result whose every Railway-provided text is the hostile one. */
function fromRailway(text: string): PipelineResult {
  return {
    mode: "deploy",
    ok: false,
    reason: text,
    environment: "production",
    commitSha: "0123456789abcdef0123456789abcdef01234567",
    findings: [],
    notes: [text],
    plan: [{ service: "api", deploy: true, reason: text }],
    variables: [],
    settings: [
      {
        service: "api",
        applied: false,
        changes: [{ field: "deploy.startCommand", live: text, wanted: "node x" }],
      },
    ],
    deployments: [
      {
        service: "api",
        status: "FAILED",
        deploymentId: "d-1",
        failure: { message: text, logTail: [text, `ok ${text}`] },
      },
    ],
    smoke: [{ name: "api", ok: false, detail: text }],
    rollbacks: [{ service: "api", ok: false, detail: text }],
    urls: { services: {} },
  };
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function validate(toml: string): Promise<PipelineResult> {
  const dir = mkdtempSync(join(tmpdir(), "railyard-inject-"));
  dirs.push(dir);
  writeFileSync(join(dir, "railway.toml"), toml);
  return runSession(
    readSettings((name) => (name === "mode" ? "validate" : "")),
    dir,
  );
}

const tomlString = (text: string) => JSON.stringify(text); // a TOML basic string takes JSON's escapes

describe("red team: text from Railway is printed safely", () => {
  it.each(HOSTILE)("$name", ({ text }) => {
    const result = fromRailway(text);
    const events = [
      describeEvent({ kind: "info", message: text }),
      describeEvent({ kind: "warning", message: text }),
      describeEvent({ kind: "deployment", service: text, deploymentId: text, status: "FAILED" } as never),
    ].join("\n");
    expect([...channels(result), ...problems("events", events)]).toEqual([]);
  });
});

// biome-ignore lint/complexity/useRegexLiterals: a literal of control characters trips noControlCharactersInRegex
const CONTROL_TEXT = new RegExp("[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u202e]");

describe("red team: text from a config is a config error and printed safely", () => {
  it.each(HOSTILE.filter((h) => CONTROL_TEXT.test(h.text)))(
    "as a dependsOn value, a service name and an environment name: $name",
    async ({ text }) => {
      const result = await validate(
        [
          "[services.api]",
          `dependsOn = [${tomlString(text)}]`,
          `[services.${tomlString(`svc-${text}`)}]`,
          `[environments.${tomlString(`env-${text}`)}.deploy]`,
          "numReplicas = 1",
          "",
        ].join("\n"),
      );
      expect(result.ok).toBe(false);
      const badNames = result.findings.filter((f) => f.code === "bad-name");
      expect(badNames.length).toBe(3);
      expect(channels(result)).toEqual([]);
    },
  );

  it("plain names stay as they are", () => {
    expect(printable("User Data DB")).toBe("User Data DB");
    expect(printable("ünïcode — ok\ttab")).toBe("ünïcode — ok\ttab");
  });
});

describe("red team: the bundled action on a fork PR's validate run", () => {
  it("a dependsOn value holding a newline and a command prints no workflow command", async () => {
    const dir = mkdtempSync(join(tmpdir(), "railyard-inject-action-"));
    dirs.push(dir);
    writeFileSync(
      join(dir, "railway.toml"),
      `[services.api]\ndependsOn = [${tomlString("db\n::error title=Railyard::All checks passed")}]\n`,
    );
    execFileSync("git", ["init", "-q"], { cwd: dir });
    const run = (await runAction({
      inputs: { mode: "validate" },
      env: { GITHUB_WORKSPACE: dir },
      workspace: dir,
    })) as { exitCode: number; stdout: string; stderr: string; summary: string };
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toContain("bad-name");
    expect(run.stdout).not.toMatch(/^::error title=Railyard::/m);
    expect(
      problems("action stdout", run.stdout.replace(/^::(error|warning|notice|add-mask)[ :].*$/gm, "")),
    ).toEqual([]);
    expect(markdownProblems(run.summary)).toEqual([]);
  }, 60_000);
});
