// Railway's watch patterns: gitignore-style globs matched against repo-root paths,
// where "/backend/**" is anchored to the root and "!" re-includes. Pure; see dorny/paths-filter.
import ignore from "ignore";

export interface WatchMatcher {
  matches(path: string): boolean;
}

/**
 * Each pattern is matched on its own and the last matching one wins. Git's rule that a file
 * inside an excluded folder cannot be re-included does not apply: Railway matches every
 * changed file against the list, so "!/backend/test/**" after "/backend/**" excludes tests.
 */
export function watchMatcher(patterns: readonly string[]): WatchMatcher {
  const rules = patterns
    .filter((pattern) => pattern.trim().length > 0 && !pattern.startsWith("#"))
    .map((pattern) => {
      const negated = pattern.startsWith("!");
      const body = negated ? pattern.slice(1) : pattern;
      return { negated, matcher: ignore({ allowRelativePaths: true }).add(body) };
    });
  return {
    matches(path: string) {
      const relative = path.replace(/^\/+/, "");
      if (relative.length === 0) return false;
      let matched = false;
      for (const rule of rules) {
        if (rule.matcher.ignores(relative)) matched = !rule.negated;
      }
      return matched;
    },
  };
}

/**
 * Files among `changed` that trigger a service. Without watch patterns Railway deploys on
 * every change, so every changed file counts.
 */
export function triggeringFiles(
  changed: readonly string[],
  patterns: readonly string[] | undefined,
): string[] {
  if (!patterns || patterns.length === 0) return [...changed];
  const matcher = watchMatcher(patterns);
  return changed.filter((path) => matcher.matches(path));
}
