// Build info for the deploy pipeline's smoke test. Every value is inlined by `next build`
// (next.config.ts `env`), so a stale deploy keeps reporting its old commit and API URL.
export const dynamic = "force-dynamic";

export function GET(): Response {
  const body = {
    status: "ok",
    service: "frontend",
    commit: process.env.BUILD_COMMIT || null,
    apiUrl: process.env.BUILD_API_URL ?? null,
    builtAt: process.env.BUILT_AT ?? null,
  };
  // no-store: a cached answer from an older deploy would defeat the freshness check.
  return Response.json(body, { headers: { "Cache-Control": "no-store" } });
}
