// The one place that reads the environment. Every other module receives a typed
// config object. Error messages name the variable and what is wrong with it, never
// its value: these variables are secrets in Railway.

export const ROLES = ["api", "data-poller", "trading-engine"] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string | undefined): value is Role {
  return value !== undefined && (ROLES as readonly string[]).includes(value);
}

/** Variables every role needs; they match `[variables].required` in backend/railway.toml. */
const SHARED_REQUIRED_VARIABLES = [
  "USER_DATABASE_URL",
  "GENERAL_DATABASE_URL",
  "REDIS_URL",
  "MASTER_ENCRYPTION_KEY",
] as const;

/**
 * What each role requires (no default exists). backend/railway.toml declares the same
 * lists (file-level `[variables].required` plus `[services.<role>.variables].required`);
 * test/railway-toml.test.ts keeps the two in agreement.
 */
export const ROLE_REQUIRED_VARIABLES: Readonly<Record<Role, readonly string[]>> = {
  api: [...SHARED_REQUIRED_VARIABLES, "CORS_ORIGIN"],
  "data-poller": [...SHARED_REQUIRED_VARIABLES],
  "trading-engine": [...SHARED_REQUIRED_VARIABLES],
};

/** Optional variables each role reads (all have defaults). */
const SHARED_OPTIONAL_VARIABLES = [
  "MASTER_ENCRYPTION_KEY_ID",
  "MASTER_ENCRYPTION_PREVIOUS_KEYS",
  "REDIS_KEY_PREFIX",
  "LOG_LEVEL",
  "STARTUP_TIMEOUT_MS",
  "HEARTBEAT_INTERVAL_MS",
  "SHUTDOWN_TIMEOUT_MS",
  "RAILWAY_GIT_COMMIT_SHA",
  "RAILWAY_SERVICE_NAME",
  "RAILWAY_ENVIRONMENT_NAME",
] as const;

export const ROLE_OPTIONAL_VARIABLES: Readonly<Record<Role, readonly string[]>> = {
  api: [...SHARED_OPTIONAL_VARIABLES, "PORT", "HOST"],
  "data-poller": [
    ...SHARED_OPTIONAL_VARIABLES,
    "POLL_INTERVAL_MS",
    "MARKET_SOURCE",
    "MARKET_FEED_SEED",
    "TICK_RETENTION_HOURS",
  ],
  "trading-engine": [...SHARED_OPTIONAL_VARIABLES, "ENGINE_CLAIM_IDLE_MS"],
};

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const MARKET_SOURCES = ["simulated"] as const;
export type MarketSourceName = (typeof MARKET_SOURCES)[number];

export interface EncryptionKeys {
  currentKeyId: string;
  /** Every usable key by id: the current one and the previous ones (for decryption only). */
  keys: ReadonlyMap<string, Buffer>;
}

export interface CommonConfig {
  role: Role;
  userDatabaseUrl: string;
  generalDatabaseUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  encryption: EncryptionKeys;
  logLevel: LogLevel;
  startupTimeoutMs: number;
  heartbeatIntervalMs: number;
  shutdownTimeoutMs: number;
  commit: string | null;
  serviceName: string | null;
  environmentName: string | null;
  /** Values the logger must never print (URLs with passwords, keys). */
  secrets: string[];
}

export interface ApiConfig extends CommonConfig {
  role: "api";
  port: number;
  host: string | undefined;
  corsOrigins: readonly string[];
}

export interface DataPollerConfig extends CommonConfig {
  role: "data-poller";
  pollIntervalMs: number;
  marketSource: MarketSourceName;
  marketFeedSeed: string;
  /** Published ticks older than this are deleted; 0 keeps them forever. */
  tickRetentionHours: number;
}

export interface TradingEngineConfig extends CommonConfig {
  role: "trading-engine";
  claimIdleMs: number;
}

export type RoleConfig = ApiConfig | DataPollerConfig | TradingEngineConfig;

export interface MigrateConfig {
  userDatabaseUrl: string;
  generalDatabaseUrl: string;
  logLevel: LogLevel;
  startupTimeoutMs: number;
  secrets: string[];
}

export interface ConfigProblem {
  variable: string;
  problem: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(context: string, problems: readonly ConfigProblem[]) {
    super(
      `Invalid configuration for ${context}:\n${problems.map((p) => `  - ${p.variable} ${p.problem}`).join("\n")}`,
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Collects problems so one start-up reports every bad variable at once. */
class EnvReader {
  readonly problems: ConfigProblem[] = [];
  readonly secrets: string[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  }

  private fail(variable: string, problem: string): void {
    this.problems.push({ variable, problem });
  }

  required(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) this.fail(name, "is missing (set it in the service's Railway variables)");
    return value;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  url(name: string, protocols: readonly string[], label: string): string {
    const value = this.required(name);
    if (value === undefined) return "";
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      this.fail(name, `is not a valid URL (expected ${label})`);
      return "";
    }
    if (!protocols.includes(parsed.protocol)) {
      this.fail(name, `must be ${label} (scheme ${protocols.join(" or ")})`);
      return "";
    }
    if (parsed.hostname === "") {
      this.fail(name, `has no host (expected ${label})`);
      return "";
    }
    this.secrets.push(value);
    if (parsed.password !== "") this.secrets.push(decodeURIComponent(parsed.password));
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value)) {
      this.fail(name, `must be a whole number between ${min} and ${max}`);
      return fallback;
    }
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      this.fail(name, `must be between ${min} and ${max}`);
      return fallback;
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(name, `must be one of: ${allowed.join(", ")}`);
      return fallback;
    }
    return value as T;
  }

  encryptionKeys(): EncryptionKeys {
    const keys = new Map<string, Buffer>();
    const currentKeyId = this.optional("MASTER_ENCRYPTION_KEY_ID") ?? "k1";
    if (!KEY_ID_PATTERN.test(currentKeyId)) {
      this.fail("MASTER_ENCRYPTION_KEY_ID", KEY_ID_RULE);
    }
    const current = this.required("MASTER_ENCRYPTION_KEY");
    if (current !== undefined) {
      const problem = hexKeyProblem(current);
      if (problem === undefined) {
        keys.set(currentKeyId, Buffer.from(current, "hex"));
        this.secrets.push(current);
      } else {
        this.fail("MASTER_ENCRYPTION_KEY", problem);
      }
    }
    const previous = this.optional("MASTER_ENCRYPTION_PREVIOUS_KEYS");
    if (previous !== undefined) {
      previous.split(",").forEach((entry, index) => {
        const where = `entry ${index + 1}`;
        const separator = entry.indexOf(":");
        if (separator < 0) {
          this.fail(
            "MASTER_ENCRYPTION_PREVIOUS_KEYS",
            `${where} must look like id:hex (comma-separated list)`,
          );
          return;
        }
        const id = entry.slice(0, separator).trim();
        const hex = entry.slice(separator + 1).trim();
        this.secrets.push(hex);
        if (!KEY_ID_PATTERN.test(id)) {
          this.fail("MASTER_ENCRYPTION_PREVIOUS_KEYS", `${where}: key id ${KEY_ID_RULE}`);
          return;
        }
        const problem = hexKeyProblem(hex);
        if (problem !== undefined) {
          this.fail("MASTER_ENCRYPTION_PREVIOUS_KEYS", `${where} (key id ${id}): key ${problem}`);
          return;
        }
        if (keys.has(id)) {
          this.fail("MASTER_ENCRYPTION_PREVIOUS_KEYS", `${where}: key id ${id} is used twice`);
          return;
        }
        keys.set(id, Buffer.from(hex, "hex"));
      });
    }
    return { currentKeyId, keys };
  }

  corsOrigins(): string[] {
    const value = this.required("CORS_ORIGIN");
    if (value === undefined) return [];
    const origins: string[] = [];
    value.split(",").forEach((entry, index) => {
      const candidate = entry.trim();
      let parsed: URL | undefined;
      try {
        parsed = new URL(candidate);
      } catch {
        parsed = undefined;
      }
      const isBareOrigin =
        parsed !== undefined &&
        (parsed.protocol === "https:" || parsed.protocol === "http:") &&
        parsed.pathname === "/" &&
        parsed.search === "" &&
        parsed.hash === "" &&
        parsed.username === "";
      if (!isBareOrigin || parsed === undefined) {
        this.fail(
          "CORS_ORIGIN",
          `entry ${index + 1} must be an origin like https://app.example.com (scheme, host and optional port; no path)`,
        );
        return;
      }
      origins.push(parsed.origin);
    });
    return origins;
  }
}

const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
const KEY_ID_RULE = "must be 1-32 characters of letters, digits, '.', '_' or '-'";

function hexKeyProblem(value: string): string | undefined {
  if (!/^[0-9a-fA-F]*$/.test(value)) {
    return "must be hexadecimal (64 characters 0-9a-f = 32 bytes); it contains other characters";
  }
  if (value.length !== 64) {
    return `must be exactly 64 hexadecimal characters (32 bytes); it has ${value.length}`;
  }
  return undefined;
}

function readCommon(reader: EnvReader, env: Env, role: Role): Omit<CommonConfig, "secrets"> {
  return {
    role,
    userDatabaseUrl: reader.url("USER_DATABASE_URL", ["postgres:", "postgresql:"], "a PostgreSQL URL"),
    generalDatabaseUrl: reader.url("GENERAL_DATABASE_URL", ["postgres:", "postgresql:"], "a PostgreSQL URL"),
    redisUrl: reader.url("REDIS_URL", ["redis:", "rediss:"], "a Redis URL"),
    redisKeyPrefix: reader.optional("REDIS_KEY_PREFIX") ?? "railyard:",
    encryption: reader.encryptionKeys(),
    logLevel: reader.oneOf("LOG_LEVEL", LOG_LEVELS, "info"),
    startupTimeoutMs: reader.integer("STARTUP_TIMEOUT_MS", 60_000, 0, 600_000),
    heartbeatIntervalMs: reader.integer("HEARTBEAT_INTERVAL_MS", 5_000, 100, 300_000),
    shutdownTimeoutMs: reader.integer("SHUTDOWN_TIMEOUT_MS", 25_000, 100, 120_000),
    commit: env.RAILWAY_GIT_COMMIT_SHA?.trim() || null,
    serviceName: env.RAILWAY_SERVICE_NAME?.trim() || null,
    environmentName: env.RAILWAY_ENVIRONMENT_NAME?.trim() || null,
  };
}

/** Reads and validates the environment for one role; throws ConfigError listing every problem. */
export function loadRoleConfig(role: Role, env: Env): RoleConfig {
  const reader = new EnvReader(env);
  const common = readCommon(reader, env, role);
  let config: RoleConfig;
  switch (role) {
    case "api":
      config = {
        ...common,
        role,
        port: reader.integer("PORT", 8080, 0, 65535),
        host: reader.optional("HOST"),
        corsOrigins: reader.corsOrigins(),
        secrets: reader.secrets,
      };
      break;
    case "data-poller":
      config = {
        ...common,
        role,
        pollIntervalMs: reader.integer("POLL_INTERVAL_MS", 1_000, 10, 3_600_000),
        marketSource: reader.oneOf("MARKET_SOURCE", MARKET_SOURCES, "simulated"),
        marketFeedSeed: reader.optional("MARKET_FEED_SEED") ?? "railyard",
        tickRetentionHours: reader.integer("TICK_RETENTION_HOURS", 168, 0, 87_600),
        secrets: reader.secrets,
      };
      break;
    case "trading-engine":
      config = {
        ...common,
        role,
        claimIdleMs: reader.integer("ENGINE_CLAIM_IDLE_MS", 30_000, 100, 3_600_000),
        secrets: reader.secrets,
      };
      break;
  }
  if (reader.problems.length > 0) throw new ConfigError(`role ${role}`, reader.problems);
  return config;
}

/** The pre-deploy migration needs only the two database URLs. */
export function loadMigrateConfig(env: Env): MigrateConfig {
  const reader = new EnvReader(env);
  const config: MigrateConfig = {
    userDatabaseUrl: reader.url("USER_DATABASE_URL", ["postgres:", "postgresql:"], "a PostgreSQL URL"),
    generalDatabaseUrl: reader.url("GENERAL_DATABASE_URL", ["postgres:", "postgresql:"], "a PostgreSQL URL"),
    logLevel: reader.oneOf("LOG_LEVEL", LOG_LEVELS, "info"),
    startupTimeoutMs: reader.integer("STARTUP_TIMEOUT_MS", 60_000, 0, 600_000),
    secrets: reader.secrets,
  };
  if (reader.problems.length > 0) throw new ConfigError("migrate", reader.problems);
  return config;
}
