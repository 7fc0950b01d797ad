import { describe, expect, it } from "vitest";
import { validateConfigText } from "./index.ts";

// Found by the fuzzer (test/fixtures/fuzz): a huge key or value was quoted whole in the message.
describe("long user text in findings", () => {
  it("clips a huge unknown key and skips the spelling suggestion", () => {
    const key = "k".repeat(50_000);
    const { findings } = validateConfigText("railway.toml", `[deploy]\n${key} = 1\n`, {});
    expect(findings).toHaveLength(1);
    expect(findings[0]?.code).toBe("unknown-key");
    expect(findings[0]?.message).toBe(`unknown key \`${"k".repeat(60)}… (50000 characters)\` in [deploy]`);
    expect(findings[0]?.suggestion).toBeUndefined();
  });

  it("clips a huge enum value and names its length", () => {
    const value = "x".repeat(5_000);
    const { findings } = validateConfigText("railway.toml", `[build]\nbuilder = "${value}"\n`, {});
    expect(findings[0]?.code).toBe("bad-enum");
    expect(findings[0]?.message).toContain(`not "${"x".repeat(60)}"… (5000 characters)`);
    expect(findings[0]?.message.length).toBeLessThan(200);
  });
});
