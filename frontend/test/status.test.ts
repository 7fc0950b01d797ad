import { describe, expect, it } from "vitest";
import { formatAge, formatPrice, formatUptime, listWorkers, parseStackStatus } from "../lib/status.ts";

const SAMPLE = {
  api: { status: "ok", commit: "0123456789abcdef", uptimeSeconds: 12.5 },
  workers: {
    "data-poller": { status: "ok", lastHeartbeat: "2026-11-24T22:00:00.000Z" },
    "trading-engine": { status: "stale", lastHeartbeat: "2026-11-24T21:59:00.000Z" },
  },
  prices: [{ symbol: "BTC-USD", price: 64000.5, at: "2026-11-24T22:00:01.000Z" }],
  orders: { total: 3 },
};

describe("parseStackStatus", () => {
  it("accepts the api's documented answer", () => {
    const parsed = parseStackStatus(SAMPLE);
    expect(parsed).toEqual({ ok: true, status: SAMPLE });
  });

  it("names the first field that does not match", () => {
    expect(parseStackStatus([])).toEqual({ ok: false, problem: "the body is not a JSON object" });
    expect(parseStackStatus({ ...SAMPLE, orders: {} })).toEqual({
      ok: false,
      problem: "orders.total must be a number",
    });
    expect(
      parseStackStatus({ ...SAMPLE, workers: { "data-poller": { status: "fine", lastHeartbeat: null } } }),
    ).toEqual({
      ok: false,
      problem: "workers.data-poller.status must be ok, stale or missing",
    });
    expect(
      parseStackStatus({ ...SAMPLE, prices: [{ symbol: "BTC-USD", price: "1", at: SAMPLE.prices[0]?.at }] }),
    ).toEqual({
      ok: false,
      problem: "prices[0] must have a symbol, a numeric price and an ISO time",
    });
    expect(parseStackStatus({ ...SAMPLE, api: { ...SAMPLE.api, commit: 5 } })).toEqual({
      ok: false,
      problem: "api.commit must be a string or null",
    });
  });
});

describe("listWorkers", () => {
  it("always lists the data-poller and trading-engine, missing when the api omits them", () => {
    const parsed = parseStackStatus({ ...SAMPLE, workers: { extra: { status: "ok", lastHeartbeat: null } } });
    if (!parsed.ok) throw new Error(parsed.problem);
    expect(listWorkers(parsed.status)).toEqual([
      { name: "data-poller", status: "missing", lastHeartbeat: null },
      { name: "trading-engine", status: "missing", lastHeartbeat: null },
      { name: "extra", status: "ok", lastHeartbeat: null },
    ]);
  });
});

describe("formatting", () => {
  const now = Date.parse("2026-11-24T22:00:00.000Z");
  it("shows heartbeat ages a person can read", () => {
    expect(formatAge(null, now)).toBe("never");
    expect(formatAge("2026-11-24T22:00:00.400Z", now)).toBe("just now");
    expect(formatAge("2026-11-24T21:59:18.000Z", now)).toBe("42s ago");
    expect(formatAge("2026-11-24T21:56:55.000Z", now)).toBe("3m 5s ago");
    expect(formatAge("2026-11-24T19:59:00.000Z", now)).toBe("2h 1m ago");
  });

  it("shows uptime and prices", () => {
    expect(formatUptime(59.9)).toBe("59s");
    expect(formatUptime(3723)).toBe("1h 2m 3s");
    expect(formatPrice(64000.5)).toBe("64,000.50");
    expect(formatPrice(0.1234567)).toBe("0.123457");
  });
});
