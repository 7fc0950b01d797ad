/** A user's threshold strategy: buy when the price is below buyBelow while flat, sell above sellAbove while long. */
export interface StrategyState {
  buyBelow: number;
  sellAbove: number;
  position: "flat" | "long";
}

export type Side = "buy" | "sell";

export function decide(strategy: StrategyState, price: number): Side | undefined {
  if (strategy.position === "flat" && price < strategy.buyBelow) return "buy";
  if (strategy.position === "long" && price > strategy.sellAbove) return "sell";
  return undefined;
}
