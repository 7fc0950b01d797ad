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

/** What a service is watched by: its own patterns, or (none set) its root directory. */
export interface WatchScope {
  /** Patterns to match; empty means every file of the repository. */
  patterns: string[];
  /** True when the service sets no watchPatterns and Railyard watches its root instead. */
  implicit: boolean;
  /** For the plan: "its watchPatterns", "its root directory /apps/web (no watchPatterns)". */
  description: string;
}

function folderOf(path: string): string {
  const at = path.lastIndexOf("/");
  return at <= 0 ? "" : path.slice(0, at);
}

/**
 * A service without watchPatterns is watched by its root directory, not by the whole
 * repository: the config file's folder for a file in a sub-folder (Railway's own templates keep
 * `haproxy/railway.toml` at root directory `/`), else the service's root directory. A Dockerfile
 * outside that folder is watched too. A service rooted at the repository root with a root
 * config file is watched by every file, as on Railway.
 */
export function watchScope(
  patterns: readonly string[] | undefined,
  service: { file: string; rootDirectory: string; dockerfile?: string },
): WatchScope {
  if (patterns && patterns.length > 0)
    return { patterns: [...patterns], implicit: false, description: "its watchPatterns" };
  const fileFolder = folderOf(service.file.replace(/^\/+/, ""));
  const root = fileFolder || service.rootDirectory.replace(/^\/+|\/+$/g, "");
  if (root === "")
    return {
      patterns: [],
      implicit: true,
      description: "the whole repository (no watchPatterns, root directory /)",
    };
  const scope = [`/${root}/**`];
  const dockerfile = service.dockerfile?.replace(/^\/+/, "");
  if (dockerfile && !dockerfile.startsWith(`${root}/`)) scope.push(`/${dockerfile}`);
  return {
    patterns: scope,
    implicit: true,
    description: `its folder /${root} (no watchPatterns${scope.length > 1 ? `; and /${dockerfile}` : ""})`,
  };
}

/**
 * Railway matches watch patterns from the repository root. Patterns that match no file of the
 * commit never trigger a deploy; when the same patterns match files once read from the
 * service's root directory, they were written from there. One sentence per such service, with
 * the patterns to write instead; undefined when the patterns match something.
 */
export function unmatchedWatchPatterns(
  files: readonly string[],
  service: { name: string; rootDirectory: string; patterns: readonly string[] },
): string | undefined {
  const live = service.patterns.filter((p) => p.trim().length > 0 && !p.startsWith("#"));
  if (live.length === 0 || live.every((p) => p.startsWith("!"))) return undefined;
  if (triggeringFiles(files, live).length > 0) return undefined;
  const root = service.rootDirectory.replace(/^\/+|\/+$/g, "");
  const listed = live.map((p) => JSON.stringify(p)).join(", ");
  if (root !== "") {
    const rooted = live.map((p) => {
      const negated = p.startsWith("!");
      const body = (negated ? p.slice(1) : p).replace(/^\/+/, "");
      return `${negated ? "!" : ""}/${root}/${body}`;
    });
    const count = triggeringFiles(files, rooted).length;
    if (count > 0)
      return `${service.name}: watchPatterns ${listed} match no file of the repository, but would match ${count} file${count === 1 ? "" : "s"} read from its root directory /${root}; Railway matches them from the repository root, so no change deploys it. Write ${rooted.map((p) => JSON.stringify(p)).join(", ")}`;
  }
  return `${service.name}: watchPatterns ${listed} match no file of the repository (Railway matches them from the repository root), so no change deploys it`;
}
