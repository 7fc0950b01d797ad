// Reads the variables that `next build` bakes into the bundle. Plain JavaScript so that
// both next.config.ts and the pre-build check (a bare `node` process) can import it.

/**
 * @typedef {{ ok: true, apiUrl: string }} ApiUrlAccepted
 * @typedef {{ ok: false, message: string }} ApiUrlRejected
 */

/**
 * Checks NEXT_PUBLIC_API_URL: it must be an absolute http(s) URL, because the browser
 * calls `${NEXT_PUBLIC_API_URL}/api/status` from whatever page origin it was served on.
 * A trailing slash is dropped so the joined path never has `//`.
 * @param {string | undefined} raw
 * @returns {ApiUrlAccepted | ApiUrlRejected}
 */
export function checkApiUrl(raw) {
  const hint =
    "Set it before building, e.g. NEXT_PUBLIC_API_URL=https://api.example.com " +
    "(on Railway: https://${{api.RAILWAY_PUBLIC_DOMAIN}}); Next.js inlines it at build time.";
  if (raw === undefined || raw.trim() === "") {
    return { ok: false, message: `NEXT_PUBLIC_API_URL is not set. ${hint}` };
  }
  const value = raw.trim();
  let url;
  try {
    url = new URL(value);
  } catch {
    return {
      ok: false,
      message: `NEXT_PUBLIC_API_URL must be an absolute http(s) URL, got "${value}". ${hint}`,
    };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return {
      ok: false,
      message: `NEXT_PUBLIC_API_URL must use http or https, got "${url.protocol}" in "${value}". ${hint}`,
    };
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    return {
      ok: false,
      message:
        "NEXT_PUBLIC_API_URL must be a plain origin or path prefix without credentials, query or fragment. " +
        hint,
    };
  }
  return { ok: true, apiUrl: value.replace(/\/+$/, "") };
}

/**
 * The commit the build comes from. Railway sets RAILWAY_GIT_COMMIT_SHA during builds
 * from GitHub; other builds report null rather than a guess.
 * @param {string | undefined} raw
 * @returns {string | null}
 */
export function buildCommit(raw) {
  const value = raw?.trim();
  return value ? value : null;
}
