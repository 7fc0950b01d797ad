// Runs before `next build` (see package.json) so a bad NEXT_PUBLIC_API_URL stops the
// build with one line instead of a bundle that calls the wrong place.
import { checkApiUrl } from "./build-env.mjs";

const result = checkApiUrl(process.env.NEXT_PUBLIC_API_URL);
if (!result.ok) {
  process.stderr.write(`frontend build: ${result.message}\n`);
  process.exit(1);
}
process.stdout.write(`frontend build: NEXT_PUBLIC_API_URL=${result.apiUrl}\n`);
