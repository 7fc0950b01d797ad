// Whether what the run reads (config files on disk) is what it deploys (a commit).
import { git } from "./git.ts";

/**
 * Files of the working tree that differ from `commitSha` (changed, staged, deleted or new), as
 * repo-relative paths; empty when the checkout is exactly that commit.
 */
export async function filesDifferingFrom(repoDir: string, commitSha: string): Promise<string[]> {
  const changed = await git(repoDir, ["diff", "--name-only", "-z", commitSha, "--"]);
  const untracked = await git(repoDir, ["ls-files", "--others", "--exclude-standard", "-z"]);
  if (changed.code !== 0 || untracked.code !== 0) return [];
  const paths = [...changed.stdout.split("\0"), ...untracked.stdout.split("\0")].filter((p) => p !== "");
  return [...new Set(paths)].sort();
}

/** The run's warning, or undefined when the working tree is the commit deployed. */
export function differingTreeWarning(commitSha: string, files: readonly string[]): string | undefined {
  if (files.length === 0) return undefined;
  const sample = files.slice(0, 3).join(", ") + (files.length > 3 ? `, +${files.length - 3} more` : "");
  return `the working tree differs from commit ${commitSha.slice(0, 7)} (${files.length} file${files.length === 1 ? "" : "s"}: ${sample}): settings are read from the files on disk, but the deploy is of the commit; commit the changes, or deploy from a clean checkout`;
}
