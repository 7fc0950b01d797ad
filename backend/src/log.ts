import type { LogLevel } from "./config.ts";

// One JSON object per line on stdout: Railway's log explorer parses it, and tests read it.

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  service: string;
  level: LogLevel;
  /** Values replaced by "[redacted]" wherever they appear: a safety net, since fields are chosen explicitly. */
  secrets?: readonly string[];
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions): Logger {
  const threshold = LEVEL_ORDER[options.level];
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 4);
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emit = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    if (LEVEL_ORDER[level] < threshold) return;
    let line = JSON.stringify({
      time: new Date().toISOString(),
      level,
      service: options.service,
      event,
      ...fields,
    });
    for (const secret of secrets) line = line.split(secret).join("[redacted]");
    write(line);
  };
  return {
    debug: (event, fields) => emit("debug", event, fields),
    info: (event, fields) => emit("info", event, fields),
    warn: (event, fields) => emit("warn", event, fields),
    error: (event, fields) => emit("error", event, fields),
  };
}

/** A loggable summary of an unknown error: its code and message, never a stack or a connection string. */
export function describeError(error: unknown): { code?: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const message = error.message.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"']+/gi, "[url]");
    return typeof code === "string" ? { code, message } : { message };
  }
  return { message: String(error) };
}
