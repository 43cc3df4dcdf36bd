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
import { checkScaleSetAccess } from "./scale-set-check.js";

/** How long one call to GitHub or AWS may take before the service counts as unreachable. */
export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

export async function runChecks(config: Config, opts: Partial<AwsCheckOptions> & { clock: Clock }): Promise<CheckResult[]> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const [github, group, scaleSets, aws] = await Promise.all([
    checkGitHub(config, opts.clock, { timeoutMs }),
    checkRunnerGroups(config, opts.clock),
    checkScaleSetAccess(config, opts.clock, { timeoutMs }),
    checkAws(config, { ...opts, timeoutMs }),
  ]);
  // A scale set's shape serve would refuse is a configuration problem, said in its place.
  const refused = scaleSets.filter((r) => r.name === "configuration");
  const configuration = refused.length > 0 ? refused : [pass("configuration", "valid")];
  return [...configuration, ...github, ...group, ...scaleSets.filter((r) => r.name !== "configuration"), ...aws];
}
