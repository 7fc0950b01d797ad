import type { NextConfig } from "next";
import { PHASE_PRODUCTION_BUILD, PHASE_PRODUCTION_SERVER } from "next/constants";
import { buildCommit, checkApiUrl } from "./scripts/build-env.mjs";

// Build facts are inlined through `env` (a compile-time replacement), so /healthz reports
// what this bundle was built from even if the runtime environment says otherwise: the
// deploy pipeline relies on that to tell a fresh deploy from a stale one.
export default function nextConfig(phase: string): NextConfig {
  const base: NextConfig = {
    reactStrictMode: true,
    poweredByHeader: false,
    // frontend/ is its own deployable inside a monorepo; without this Next guesses the root
    // from the repository's other lockfiles.
    turbopack: { root: import.meta.dirname },
    outputFileTracingRoot: import.meta.dirname,
  };
  // `next start` serves an existing build whose values are already inlined; reading the
  // runtime environment here could only make the server disagree with its own bundle.
  if (phase === PHASE_PRODUCTION_SERVER) return base;
  const apiUrl = checkApiUrl(process.env.NEXT_PUBLIC_API_URL);
  if (!apiUrl.ok) {
    if (phase === PHASE_PRODUCTION_BUILD) {
      // Reached only when `next build` is run directly, bypassing scripts/check-build-env.mjs.
      process.stderr.write(`frontend build: ${apiUrl.message}\n`);
      process.exit(1);
    }
    // `next dev` still starts so the page can show its own error state.
    return base;
  }
  return {
    ...base,
    env: {
      NEXT_PUBLIC_API_URL: apiUrl.apiUrl,
      BUILD_API_URL: apiUrl.apiUrl,
      BUILD_COMMIT: buildCommit(process.env.RAILWAY_GIT_COMMIT_SHA) ?? "",
      BUILT_AT: new Date().toISOString(),
    },
  };
}
