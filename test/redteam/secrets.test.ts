// Red team, area "secrets": one row per hostile log tail. Each row registers one variable value
// the way the client does, feeds the log lines a deployment printed through the redaction the
// client applies to every log tail, and checks that no form of the value survives (a value too
// short or too common to mask: that the lines holding it are withheld). Issue 13, finding 3.
import { describe, expect, it } from "vitest";
import { REDACTED, SecretRegistry } from "../../action/src/railway/secrets.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const hex = (s: string) => Buffer.from(s).toString("hex");
const pw = "Xy7-secret-Pw/+=?&é";
const url = `postgresql://app:${encodeURIComponent(pw)}@db.internal:5432/app`;

interface Row {
  name: string;
  value: string;
  /** What the deployment printed. */
  lines: string[];
  /** Strings that must not appear in what is printed (joined with and without line breaks). */
  leaks: string[];
  /** Lines that must survive unchanged (the redaction must not eat the whole tail). */
  keeps?: string[];
  withheld?: boolean;
}

const rows: Row[] = [
  { name: "raw value", value: pw, lines: [`password is ${pw}`], leaks: [pw] },
  {
    name: "base64 of the value",
    value: pw,
    lines: [`token=${b64(pw)}`],
    leaks: [b64(pw).replace(/=+$/, "")],
  },
  {
    name: "base64url of the value",
    value: pw,
    lines: [`t=${Buffer.from(pw).toString("base64url")}`],
    leaks: [Buffer.from(pw).toString("base64url")],
  },
  {
    name: "base64 of a text holding the value (offset 1)",
    value: pw,
    lines: [b64(`x${pw}`)],
    leaks: [b64(`x${pw}`).slice(4, 24)],
  },
  {
    name: "base64 of a text holding the value (offset 2)",
    value: pw,
    lines: [b64(`xy${pw}yz`)],
    leaks: [b64(`xy${pw}yz`).slice(4, 24)],
  },
  { name: "hex", value: pw, lines: [`hex ${hex(pw)}`], leaks: [hex(pw)] },
  {
    name: "HEX upper case",
    value: pw,
    lines: [`HEX ${hex(pw).toUpperCase()}`],
    leaks: [hex(pw).toUpperCase()],
  },
  {
    name: "encodeURIComponent",
    value: pw,
    lines: [`?p=${encodeURIComponent(pw)}`],
    leaks: [encodeURIComponent(pw)],
  },
  { name: "encodeURI", value: pw, lines: [`GET ${encodeURI(pw)}`], leaks: [encodeURI(pw)] },
  {
    name: "form encoding",
    value: `${pw} with space`,
    lines: [`body: ${new URLSearchParams({ p: `${pw} with space` }).toString()}`],
    leaks: [new URLSearchParams({ p: `${pw} with space` }).toString().slice(2)],
  },
  {
    name: "JSON escaping",
    value: `a"b\\c ${pw}`,
    lines: [JSON.stringify({ v: `a"b\\c ${pw}` })],
    leaks: [JSON.stringify(`a"b\\c ${pw}`).slice(1, -1)],
  },
  {
    name: "double JSON escaping",
    value: `a"b\\c ${pw}`,
    lines: [JSON.stringify(JSON.stringify({ v: `a"b\\c ${pw}` }))],
    leaks: [JSON.stringify(JSON.stringify(`a"b\\c ${pw}`).slice(1, -1)).slice(1, -1)],
  },
  {
    name: "a value split across two log lines",
    value: "Split-secret-value-0123456789",
    lines: ["connecting with Split-secret-", "value-0123456789 now"],
    leaks: ["Split-secret-value-0123456789", "Split-secret-", "value-0123456789"],
    keeps: [],
  },
  {
    name: "a value split across two indented log lines",
    value: "Another-split-value-abcdef",
    lines: ["key: Another-split", "    -value-abcdef"],
    leaks: ["Another-split", "-value-abcdef"],
  },
  {
    name: "password of a postgresql URL alone",
    value: url,
    lines: [`auth failed for password ${pw}`],
    leaks: [pw],
  },
  {
    name: "URL-encoded password of a URL alone",
    value: url,
    lines: [`pass=${encodeURIComponent(pw)}`],
    leaks: [encodeURIComponent(pw)],
  },
  {
    name: "userinfo of a URL",
    value: url,
    lines: [`user app:${encodeURIComponent(pw)}`],
    leaks: [`app:${encodeURIComponent(pw)}`, encodeURIComponent(pw)],
  },
  {
    name: "Basic-auth header built from a URL's credentials",
    value: url,
    lines: [`Authorization: Basic ${b64(`app:${pw}`)}`],
    leaks: [b64(`app:${pw}`).replace(/=+$/, "")],
  },
  {
    name: "Basic-auth header of a user:password value",
    value: "svc-user:Basic-pass-123",
    lines: [`authorization: basic ${b64("svc-user:Basic-pass-123")}`],
    leaks: [b64("svc-user:Basic-pass-123").replace(/=+$/, "")],
  },
  {
    name: "base64 of a URL's password",
    value: url,
    lines: [`pw64 ${b64(pw)}`],
    leaks: [b64(pw).replace(/=+$/, "")],
  },
  {
    name: "redis URL with an empty user",
    value: "redis://:Redis-Pass-9876@cache:6379",
    lines: ["NOAUTH Redis-Pass-9876 rejected"],
    leaks: ["Redis-Pass-9876"],
  },
  {
    name: "a string leaf of a JSON value",
    value: JSON.stringify({
      client_id: "id-1",
      private_key: "Json-leaf-secret-42",
      nested: [{ k: "Deep-leaf-77" }],
    }),
    lines: ["using key Json-leaf-secret-42", "and Deep-leaf-77"],
    leaks: ["Json-leaf-secret-42", "Deep-leaf-77"],
  },
  {
    name: "base64 of a JSON leaf",
    value: JSON.stringify({ token: "Leaf-token-abcdef" }),
    lines: [b64("Leaf-token-abcdef")],
    leaks: [b64("Leaf-token-abcdef").replace(/=+$/, "")],
  },
  {
    name: "each line of a multi-line value (a PEM key)",
    value: "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\nqwerty0987654321zxcv\n-----END KEY-----",
    lines: ["line MIIBOgIBAAJBAKj34GkxFhD9", "qwerty0987654321zxcv"],
    leaks: ["MIIBOgIBAAJBAKj34GkxFhD9", "qwerty0987654321zxcv"],
  },
  {
    name: "a multi-line value with CRLF line ends",
    value: "first-line-secret\r\nsecond-line-secret",
    lines: ["got second-line-secret"],
    leaks: ["second-line-secret"],
  },
  {
    name: "a value of 3 characters",
    value: "x9Q",
    lines: ["starting", "pin is x9Q", "ready"],
    leaks: ["x9Q"],
    keeps: ["starting", "ready"],
    withheld: true,
  },
  {
    name: "a value of 1 character",
    value: "7",
    lines: ["replicas 7 of 9", "ok"],
    leaks: [" 7 "],
    keeps: ["ok"],
    withheld: true,
  },
  {
    name: "a common word as a value",
    value: "deploy",
    lines: ["role: deploy", "ready"],
    leaks: ["deploy"],
    keeps: ["ready"],
    withheld: true,
  },
  {
    name: "a short number as a value",
    value: "4242",
    lines: ["PIN=4242", "listening"],
    leaks: ["4242"],
    keeps: ["listening"],
    withheld: true,
  },
  {
    name: "a short value split across two lines",
    value: "Qz9",
    lines: ["code Q", "z9 end"],
    leaks: ["Qz9"],
    withheld: true,
  },
];

describe("red team: secrets in log tails", () => {
  it.each(rows)("$name", (row) => {
    const registry = new SecretRegistry();
    registry.add(row.value);
    const out = registry.redactLines(row.lines);
    const printed = [out.join("\n"), out.join(""), out.map((l) => l.trim()).join("")];
    for (const leak of row.leaks) for (const text of printed) expect(text).not.toContain(leak);
    for (const keep of row.keeps ?? []) expect(out).toContain(keep);
    if (row.withheld) expect(out.join("\n")).toMatch(/withheld/);
    else expect(out.join("\n")).toContain(REDACTED);
  });
});

describe("red team: what reaches the runner", () => {
  it("a multi-line value reaches the runner as one mask per line, never as one value", () => {
    const seen: string[] = [];
    new SecretRegistry((v) => seen.push(v)).add("line-one-secret\nline-two-secret\n");
    expect(seen).toEqual(["line-one-secret", "line-two-secret"]);
  });

  it("a URL's password and userinfo reach the runner on their own", () => {
    const seen: string[] = [];
    new SecretRegistry((v) => seen.push(v)).add(url);
    expect(seen).toContain(url);
    expect(seen).toContain(pw);
    expect(seen).toContain(`app:${pw}`);
  });

  it("values too short or too common never reach the runner and never mask the tool's own words", () => {
    const seen: string[] = [];
    const registry = new SecretRegistry((v) => seen.push(v));
    for (const value of ["deploy", "true", "api", "1", "8080", "production"]) registry.add(value);
    expect(seen).toEqual([]);
    expect(registry.redact("deploy the api to production: true")).toBe("deploy the api to production: true");
  });
});
