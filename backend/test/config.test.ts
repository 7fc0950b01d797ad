import { describe, expect, it } from "vitest";
import {
  ConfigError,
  loadMigrateConfig,
  loadRoleConfig,
  ROLE_REQUIRED_VARIABLES,
  ROLES,
} from "../src/config.ts";
import { startProcess, TEST_KEY_HEX } from "./helpers.ts";

const SECRET_PASSWORD = "s3cretPassw0rd";
const VALID: Record<string, string> = {
  USER_DATABASE_URL: `postgresql://app:${SECRET_PASSWORD}@db.internal:5432/users`,
  GENERAL_DATABASE_URL: `postgresql://app:${SECRET_PASSWORD}@db.internal:5432/general`,
  REDIS_URL: `redis://default:${SECRET_PASSWORD}@redis.internal:6379`,
  MASTER_ENCRYPTION_KEY: TEST_KEY_HEX,
  CORS_ORIGIN: "https://app.example.com/, http://localhost:3000",
};

function configError(role: (typeof ROLES)[number], env: Record<string, string>): ConfigError {
  try {
    loadRoleConfig(role, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

function without(name: string): Record<string, string> {
  const env = { ...VALID };
  delete env[name];
  return env;
}

describe("config validation", () => {
  it("accepts a complete environment and applies the defaults", () => {
    const config = loadRoleConfig("api", VALID);
    expect(config.role).toBe("api");
    if (config.role !== "api") throw new Error("unreachable");
    expect(config.port).toBe(8080);
    expect(config.corsOrigins).toEqual(["https://app.example.com", "http://localhost:3000"]);
    expect(config.redisKeyPrefix).toBe("railyard:");
    expect(config.encryption.currentKeyId).toBe("k1");
    expect(config.commit).toBeNull();
    const poller = loadRoleConfig("data-poller", { ...VALID, POLL_INTERVAL_MS: "250" });
    expect(poller.role === "data-poller" && poller.pollIntervalMs).toBe(250);
  });

  for (const role of ROLES) {
    for (const variable of ROLE_REQUIRED_VARIABLES[role]) {
      it(`${role}: names ${variable} when it is missing`, () => {
        const error = configError(role, { ...without(variable), [variable]: "  " });
        expect(error.problems).toEqual([{ variable, problem: expect.stringContaining("is missing") }]);
        expect(error.message).toContain(variable);
      });
    }
  }

  it("the workers do not require CORS_ORIGIN", () => {
    expect(loadRoleConfig("data-poller", without("CORS_ORIGIN")).role).toBe("data-poller");
    expect(loadRoleConfig("trading-engine", without("CORS_ORIGIN")).role).toBe("trading-engine");
  });

  const malformed: [string, string, string][] = [
    ["USER_DATABASE_URL", `mysql://app:${SECRET_PASSWORD}@db/users`, "must be a PostgreSQL URL"],
    ["GENERAL_DATABASE_URL", `not a url ${SECRET_PASSWORD}`, "is not a valid URL"],
    ["REDIS_URL", `http://default:${SECRET_PASSWORD}@redis:6379`, "must be a Redis URL"],
    [
      "MASTER_ENCRYPTION_KEY",
      `${TEST_KEY_HEX.slice(0, 62)}`,
      "exactly 64 hexadecimal characters (32 bytes); it has 62",
    ],
    ["MASTER_ENCRYPTION_KEY", `${TEST_KEY_HEX.slice(0, 60)}zzzz`, "must be hexadecimal"],
    ["MASTER_ENCRYPTION_KEY_ID", "bad id!", "must be 1-32 characters"],
    [
      "MASTER_ENCRYPTION_PREVIOUS_KEYS",
      `old:${TEST_KEY_HEX.slice(2)}`,
      "entry 1 (key id old): key must be exactly 64",
    ],
    ["MASTER_ENCRYPTION_PREVIOUS_KEYS", `${TEST_KEY_HEX}`, "entry 1 must look like id:hex"],
    ["MASTER_ENCRYPTION_PREVIOUS_KEYS", `k1:${TEST_KEY_HEX}`, "key id k1 is used twice"],
    ["CORS_ORIGIN", "https://app.example.com/path", "entry 1 must be an origin"],
    ["CORS_ORIGIN", "https://ok.example.com,ftp://x", "entry 2 must be an origin"],
    ["PORT", "80a", "must be a whole number between 0 and 65535"],
    ["PORT", "70000", "must be between 0 and 65535"],
    ["LOG_LEVEL", "verbose", "must be one of: debug, info, warn, error"],
  ];
  for (const [variable, value, expected] of malformed) {
    it(`names malformed ${variable} (${expected}) without printing the value`, () => {
      const error = configError("api", { ...VALID, [variable]: value });
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]?.variable).toBe(variable);
      expect(error.message).toContain(expected);
      expect(error.message).not.toContain(value);
      expect(error.message).not.toContain(SECRET_PASSWORD);
    });
  }

  const workerMalformed: [(typeof ROLES)[number], string, string, string][] = [
    ["data-poller", "POLL_INTERVAL_MS", "1s", "must be a whole number between 10 and 3600000"],
    ["data-poller", "MARKET_SOURCE", "binance", "must be one of: simulated"],
    ["data-poller", "TICK_RETENTION_HOURS", "-5", "must be a whole number"],
    ["trading-engine", "ENGINE_CLAIM_IDLE_MS", "5", "must be between 100 and 3600000"],
    ["trading-engine", "STARTUP_TIMEOUT_MS", "soon", "must be a whole number"],
  ];
  for (const [role, variable, value, expected] of workerMalformed) {
    it(`${role}: names malformed ${variable}`, () => {
      const error = configError(role, { ...VALID, [variable]: value });
      expect(error.problems).toEqual([{ variable, problem: expect.stringContaining(expected) }]);
      expect(error.message).not.toContain(value);
    });
  }

  it("reports every problem at once", () => {
    const error = configError("api", { CORS_ORIGIN: "x", PORT: "-1" });
    expect(error.problems.map((p) => p.variable)).toEqual([
      "USER_DATABASE_URL",
      "GENERAL_DATABASE_URL",
      "REDIS_URL",
      "MASTER_ENCRYPTION_KEY",
      "PORT",
      "CORS_ORIGIN",
    ]);
  });

  it("loads previous keys for rotation", () => {
    const previous = "ff".repeat(32);
    const config = loadRoleConfig("trading-engine", {
      ...VALID,
      MASTER_ENCRYPTION_KEY_ID: "k2",
      MASTER_ENCRYPTION_PREVIOUS_KEYS: `k1:${previous}`,
    });
    expect(config.encryption.currentKeyId).toBe("k2");
    expect([...config.encryption.keys.keys()]).toEqual(["k2", "k1"]);
    expect(config.encryption.keys.get("k1")?.toString("hex")).toBe(previous);
  });

  it("the migration needs only the two database URLs", () => {
    expect(() => loadMigrateConfig({ USER_DATABASE_URL: VALID.USER_DATABASE_URL as string })).toThrow(
      /GENERAL_DATABASE_URL is missing/,
    );
  });
});

describe("entry point (node dist/main.js)", () => {
  it("exits 1 listing the valid roles when CONTAINER_ROLE is missing or unknown", async () => {
    for (const role of [undefined, "web"]) {
      const env: Record<string, string> = { PATH: process.env.PATH ?? "", ...VALID };
      if (role) env.CONTAINER_ROLE = role;
      const proc = startProcess(env);
      expect(await proc.exited).toBe(1);
      expect(proc.stderr()).toContain("CONTAINER_ROLE must be one of: api, data-poller, trading-engine");
      expect(proc.stderr()).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it("exits 1 naming each bad variable, never printing a value", async () => {
    const proc = startProcess({
      PATH: process.env.PATH ?? "",
      ...VALID,
      CONTAINER_ROLE: "api",
      REDIS_URL: `http://default:${SECRET_PASSWORD}@redis:6379`,
      MASTER_ENCRYPTION_KEY: `${SECRET_PASSWORD}`,
    });
    expect(await proc.exited).toBe(1);
    const output = proc.stderr() + proc.stdout();
    expect(output).toContain("REDIS_URL must be a Redis URL");
    expect(output).toContain("MASTER_ENCRYPTION_KEY must be hexadecimal");
    expect(output).not.toContain(SECRET_PASSWORD);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it("migrate.js exits 1 naming a missing database URL", async () => {
    const proc = startProcess(
      { PATH: process.env.PATH ?? "", USER_DATABASE_URL: VALID.USER_DATABASE_URL as string },
      "dist/migrate.js",
    );
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toContain("GENERAL_DATABASE_URL is missing");
    expect(proc.stderr()).not.toContain(SECRET_PASSWORD);
  });
});
