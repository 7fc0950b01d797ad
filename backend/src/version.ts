import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The backend's package.json version (src/ and dist/ both sit one level below it). */
export function packageVersion(): string {
  if (cached === undefined) {
    const text = readFileSync(new URL("../package.json", import.meta.url), "utf8");
    cached = String((JSON.parse(text) as { version?: unknown }).version ?? "0.0.0");
  }
  return cached;
}
