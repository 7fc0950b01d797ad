// Red team, area "config limits": configs at sizes and shapes no person writes but a generator or
// an attacker does. Each ends in findings (or a correct result), never "Maximum call stack size
// exceeded", a hang or a silent pass. Issue 13, "Low": deep configs, invalid UTF-8.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../action/src/config/index.ts";
import { dependencyOrder } from "../../action/src/pipeline/target.ts";
import type { PipelineResult } from "../../action/src/pipeline/types.ts";
import { terminalReport } from "../../action/src/report/render.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function repo(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), "railyard-limits-"));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const chain = (n: number, closed = false) => {
  let text = "";
  for (let i = 0; i < n; i++) {
    const dep = i > 0 ? `s${i - 1}` : closed ? `s${n - 1}` : undefined;
    text += `[services.s${i}]\n${dep ? `dependsOn = ["${dep}"]\n` : ""}`;
  }
  return text;
};

describe("red team: deep and wide configs", () => {
  it("a 6,000-long dependsOn chain loads and orders without exhausting the stack", async () => {
    const loaded = await loadConfig({ repoDir: repo({ "railway.toml": chain(6000) }) });
    expect(loaded.findings).toEqual([]);
    const order = dependencyOrder(loaded.services);
    expect(order.length).toBe(6000);
    expect(order[0]).toBe("s0");
    expect(order[5999]).toBe("s5999");
  }, 60_000);

  it("a 6,000-long dependsOn cycle is one dependency-cycle finding, and ordering says cycle", async () => {
    const loaded = await loadConfig({ repoDir: repo({ "railway.toml": chain(6000, true) }) });
    const cycles = loaded.findings.filter((f) => f.code === "dependency-cycle");
    expect(cycles.length).toBe(1);
    expect(() => dependencyOrder(loaded.services)).toThrow(/dependsOn forms a cycle/);
  }, 60_000);

  it("130,000 services (130 files, every name defined 130 times) end in findings", async () => {
    const files: Record<string, string> = {};
    for (let f = 0; f < 130; f++) {
      const services: Record<string, object> = {};
      for (let i = 0; i < 1000; i++) services[`s${i}`] = {};
      files[`d${f}/railway.json`] = JSON.stringify({ services });
    }
    const loaded = await loadConfig({ repoDir: repo(files) });
    expect(loaded.services.length).toBe(130_000);
    expect(loaded.findings.length).toBeGreaterThanOrEqual(129_000);
  }, 120_000);

  it("a report of 130,000 planned services prints", () => {
    const plan = Array.from({ length: 130_000 }, (_, i) => ({
      service: `s${i}`,
      deploy: false,
      reason: "no change",
    }));
    const result = {
      mode: "plan",
      ok: true,
      environment: "production",
      findings: [],
      notes: [],
      plan,
      variables: [],
      settings: [],
      deployments: [],
      smoke: [],
      rollbacks: [],
      urls: { services: {} },
    } as PipelineResult;
    expect(terminalReport(result).split("\n").length).toBeGreaterThan(130_000);
  });

  it("arrays nested 20,000 deep are one finding", async () => {
    const loaded = await loadConfig({
      repoDir: repo({ "railway.toml": `[services.a]\nx = ${"[".repeat(20000)}${"]".repeat(20000)}\n` }),
    });
    expect(loaded.findings.map((f) => f.message).join("\n")).toMatch(/nests .* too deeply/);
  });
});

const utf8Rows: { name: string; bytes: Buffer; offset: number; line: number }[] = [
  {
    name: "a lone 0xFF byte",
    bytes: Buffer.from([...Buffer.from("[deploy]\n# x"), 0xff, 0x0a]),
    offset: 12,
    line: 2,
  },
  {
    name: "Latin-1 é in a comment",
    bytes: Buffer.from([...Buffer.from("# caf"), 0xe9, 0x0a]),
    offset: 5,
    line: 1,
  },
  {
    name: "an overlong NUL (C0 80)",
    bytes: Buffer.from([...Buffer.from('a = "'), 0xc0, 0x80, 0x22, 0x0a]),
    offset: 5,
    line: 1,
  },
  {
    name: "a UTF-16 surrogate encoded as UTF-8",
    bytes: Buffer.from([...Buffer.from("# \n# "), 0xed, 0xa0, 0x80, 0x0a]),
    offset: 5,
    line: 2,
  },
  {
    name: "a multi-byte character cut at the end of the file",
    bytes: Buffer.from([...Buffer.from("# ok\n# "), 0xe2, 0x82]),
    offset: 7,
    line: 2,
  },
  {
    name: "a code point above U+10FFFF",
    bytes: Buffer.from([...Buffer.from("#"), 0xf4, 0x90, 0x80, 0x80]),
    offset: 1,
    line: 1,
  },
];

describe("red team: invalid UTF-8 is reported with its byte offset", () => {
  it.each(utf8Rows)("$name", async ({ bytes, offset, line }) => {
    const loaded = await loadConfig({ repoDir: repo({ "railway.toml": bytes }) });
    const bad = loaded.findings.find((f) => f.code === "invalid-utf8");
    expect(bad?.message).toContain(`byte offset ${offset}`);
    expect(bad?.location.line).toBe(line);
  });

  it("valid UTF-8 (accents, emoji, CJK) is not flagged", async () => {
    const loaded = await loadConfig({
      repoDir: repo({
        "railway.toml": '# café 🚂 鉄道\n[services.api]\ndeploy = { startCommand = "echo é" }\n',
      }),
    });
    expect(loaded.findings.filter((f) => f.code === "invalid-utf8")).toEqual([]);
  });
});
