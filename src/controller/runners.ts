/** Runner registrations on GitHub, by the names tornade gives them. */
import { GitHubError } from "../github/errors.js";
import type { GitHubPort, RunnerScope } from "../github/github-port.js";

/**
 * Removes the registration of the runner called `name`, if GitHub still has it. A busy runner is left alone: GitHub
 * would end its job. Returns what it did.
 */
export async function deregisterByName(github: GitHubPort, target: RunnerScope, name: string): Promise<"removed" | "absent" | "busy"> {
  const runner = await github.findRunner(target, name);
  if (!runner) return "absent";
  if (runner.busy) return "busy";
  try {
    await github.deleteRunner(target, runner.id);
  } catch (e) {
    // GitHub answers 422 for a runner that took a job between the listing and the delete.
    if (e instanceof GitHubError && e.kind === "invalid") return "busy";
    throw e;
  }
  return "removed";
}
