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

export async function runChecks(config: Config, opts: AwsCheckOptions & { clock: Clock }): Promise<CheckResult[]> {
  const [github, group, aws] = await Promise.all([checkGitHub(config, opts.clock), checkRunnerGroups(config, opts.clock), checkAws(config, opts)]);
  return [pass("configuration", "valid"), ...github, ...group, ...aws];
}
