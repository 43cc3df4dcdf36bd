/**
 * `tornade check [--config FILE] [--json]`: validates the configuration, the GitHub App (credentials, a token per
 * installation with the permissions tornade needs, access to the configured repositories / organizations) and the
 * AWS side (cluster, task definitions with their arch, CodeBuild projects), printing each check as pass or fail with
 * the fix. Exit 0 when all pass, 1 otherwise.
 */
import { resolve } from "node:path";
import { systemClock } from "../clock/clock.js";
import { ConfigError, loadConfig } from "../config/index.js";
import { DEFAULT_CHECK_TIMEOUT_MS, runChecks } from "../check/check.js";
import { DURATION_GRAMMAR, formatDuration, parseDuration } from "../core/duration.js";
import { fail, formatChecks, problemCheck, type CheckResult } from "../check/result.js";
import { InputError, parseCommandArgs } from "./args.js";
import { EXIT_FAILED, EXIT_OK, type CliIo } from "./io.js";

export const CHECK_USAGE = `usage: tornade check [--config FILE] [--json] [--timeout D]

Checks what tornade serve needs, with the configuration it would run with:
  configuration   valid, complete (every problem named with its key and fix)
  GitHub          the App's JWT is accepted; a token is minted for every installation, with Actions: read and
                  Administration: write (repository runners) or Self-hosted runners: write (organization runners);
                  the configured repositories / organizations have the App installed and their runners readable
                  organization runners with an allow-list: the runner group admits exactly the allowed repositories
  scale sets      with the scale-set intake (TORNADE_INTAKE scale-sets or both): the registration exchange works for
                  their scope (the App may manage its runners), the runner group exists, each scale set can be read
                  (or is not created yet: serve creates it)
  AWS             the ECS cluster is ACTIVE with FARGATE_SPOT; each task definition exists, is for Fargate, has the
                  runner container and the cpuArchitecture of its arch; the CodeBuild projects exist

  --config FILE   configuration file (YAML or JSON); also TORNADE_CONFIG. The environment overrides it.
  --json          print {"ok": bool, "checks": [{name, status, detail, fix?}]}
  --timeout D     how long to wait for each answer of GitHub or AWS before calling it unreachable (default
                  ${formatDuration(DEFAULT_CHECK_TIMEOUT_MS)}), e.g. 30s

A failure says which kind of problem it is: GitHub or AWS cannot be reached at all ("cannot reach GitHub at URL",
with Node's error code), the credentials are refused, or the App is not installed on a repository or lacks a
permission there (naming both), or an AWS resource is missing or its role may not read it.

Exit status: 0 when every check passed, 1 when one failed.
`;

export async function runCheck(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, { config: { type: "string" }, json: { type: "boolean" }, timeout: { type: "string" } });
  if (values.help) {
    io.stdout(CHECK_USAGE);
    return EXIT_OK;
  }
  const timeoutMs = values.timeout === undefined ? DEFAULT_CHECK_TIMEOUT_MS : parseDuration(values.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) throw new InputError(`--timeout must be a duration above zero, ${DURATION_GRAMMAR}; got "${values.timeout ?? ""}"`);
  let results: CheckResult[];
  try {
    const config = loadConfig(io.env, values.config === undefined ? undefined : resolve(io.cwd, values.config), { cwd: io.cwd });
    results = config.sandbox
      ? [fail("configuration", "sandbox is on (TORNADE_SANDBOX / sandbox: true): there is nothing real to check", "turn the sandbox off and set APP_ID, SECRET_KEY_PEM, TORNADE_WEBHOOK_SECRET and the AWS settings (or --config FILE); see docs/operations.md")]
      : await runChecks(config, { clock: systemClock, timeoutMs });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    results = err.problems.map((p) => problemCheck(p, "see the configuration reference"));
  }
  const ok = results.every((r) => r.status !== "fail");
  io.stdout(values.json ? `${JSON.stringify({ ok, checks: results }, null, 2)}\n` : formatChecks(results));
  return ok ? EXIT_OK : EXIT_FAILED;
}
