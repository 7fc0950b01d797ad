// Bundles the action's two front doors into action/dist (committed; CI checks freshness).
// `node scripts/build.mjs --check` builds into a temporary folder and fails on any difference.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

const check = process.argv.includes("--check");
const outdir = check ? mkdtempSync(join(tmpdir(), "railyard-dist-")) : "action/dist";
const entryPoints = { main: "action/src/main.ts", cli: "action/src/cli.ts" };

await build({
  entryPoints,
  outdir,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  legalComments: "none",
  logLevel: "warning",
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __railyardRequire } from 'node:module'; const require = __railyardRequire(import.meta.url);",
  },
});

if (check) {
  const stale = [];
  for (const name of readdirSync(outdir)) {
    let committed = "";
    try {
      committed = readFileSync(join("action/dist", name), "utf8");
    } catch {}
    if (committed !== readFileSync(join(outdir, name), "utf8")) stale.push(`action/dist/${name}`);
  }
  rmSync(outdir, { recursive: true, force: true });
  if (stale.length > 0) {
    console.error(`railyard: ${stale.join(", ")} is stale: run \`npm run build\` and commit action/dist.`);
    process.exit(1);
  }
  console.log("action/dist is up to date");
}
