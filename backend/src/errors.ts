/**
 * A start-up failure fit to show a person: it names the variable whose service could
 * not be used and why (an error code), never the variable's value.
 */
export class StartupError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = "StartupError";
  }
}

export class ShutdownRequested extends Error {
  constructor() {
    super("shutdown requested during start-up");
    this.name = "ShutdownRequested";
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`${what} timed out`), { code: "ETIMEDOUT" })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The short reason for a failed connection: an error code, never a message that could hold a URL. */
export function connectionReason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return connectionReason(error.errors[0]);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code !== "") return POSTGRES_CODES[code] ?? code;
  if (error instanceof Error && /timed? ?out/i.test(error.message)) return "ETIMEDOUT";
  return "connection failed";
}

const POSTGRES_CODES: Record<string, string> = {
  "28P01": "password authentication failed (28P01)",
  "28000": "authorization failed (28000)",
  "3D000": "database does not exist (3D000)",
  "57P03": "database is starting up (57P03)",
};
