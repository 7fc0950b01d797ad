import { createHash } from "node:crypto";

/** One price observation from a market source. */
export interface MarketQuote {
  symbol: string;
  price: number;
  /** Increasing per source and symbol; with the source and symbol it makes the tick id. */
  sequence: number;
  observedAt: Date;
}

/** A pluggable market data source: the poller only calls read(). */
export interface MarketSource {
  readonly name: string;
  readonly symbols: readonly string[];
  read(now: Date): Promise<MarketQuote[]>;
}

export function tickId(source: string, quote: Pick<MarketQuote, "symbol" | "sequence">): string {
  return `${source}:${quote.symbol}:${quote.sequence}`;
}

const BASE_PRICES: Record<string, number> = { "BTC-USD": 60_000, "ETH-USD": 3_000, "SOL-USD": 150 };

/** A number in [0, 1) derived from the seed and the parts: deterministic noise. */
function uniform(seed: string, ...parts: (string | number)[]): number {
  const digest = createHash("sha256")
    .update([seed, ...parts].join("|"))
    .digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/**
 * A deterministic simulated feed (no exchange is reachable). Time is cut into slots of
 * `intervalMs`; a slot's price is a pure function of (seed, symbol, slot): a slow wave
 * plus noise. The sequence is the slot's start in epoch ms, so a restarted poller, or
 * two pollers overlapping during a deploy, produce the same tick ids for the same slot.
 */
export function createSimulatedFeed(options: { seed: string; intervalMs: number }): MarketSource {
  const symbols = Object.keys(BASE_PRICES);
  return {
    name: "simulated",
    symbols,
    async read(now: Date): Promise<MarketQuote[]> {
      const sequence = Math.floor(now.getTime() / options.intervalMs) * options.intervalMs;
      return symbols.map((symbol) => ({
        symbol,
        price: simulatedPrice(options.seed, symbol, sequence),
        sequence,
        observedAt: new Date(sequence),
      }));
    },
  };
}

export function simulatedPrice(seed: string, symbol: string, sequence: number): number {
  const base = BASE_PRICES[symbol] ?? 100;
  const phase = uniform(seed, symbol, "phase") * 2 * Math.PI;
  const wave = 0.04 * Math.sin((2 * Math.PI * sequence) / 600_000 + phase); // ±4% over ten minutes
  const noise = 0.01 * (uniform(seed, symbol, sequence) - 0.5); // ±0.5% per tick
  return Math.round(base * (1 + wave + noise) * 100) / 100;
}
