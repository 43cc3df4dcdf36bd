/**
 * `tornade check`: every check, in the order a person fixes things — configuration, GitHub, AWS. GitHub and AWS are
 * independent, so they run side by side.
 */
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/index.js";
import { checkAws, type AwsCheckOptions } from "./aws-checks.js";
import { checkGitHub } from "./github-checks.js";
import { pass, type CheckResult } from "./result.js";
import { checkRunnerGroups } from "./runner-group-check.js";

/** How long one call to GitHub or AWS may take before the service counts as unreachable. */
export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

export async function runChecks(config: Config, opts: Partial<AwsCheckOptions> & { clock: Clock }): Promise<CheckResult[]> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const [github, group, aws] = await Promise.all([
    checkGitHub(config, opts.clock, { timeoutMs }),
    checkRunnerGroups(config, opts.clock),
    checkAws(config, { ...opts, timeoutMs }),
  ]);
  return [pass("configuration", "valid"), ...github, ...group, ...aws];
}
