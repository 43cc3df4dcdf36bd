/**
 * What a runner container is told at launch, and how its just-in-time (JIT) configuration reaches it.
 *
 * The JIT config is a credential: whoever holds it can register as the runner and take the job with its secrets. So it
 * never travels in a RunTask container override or a StartBuild environment override (anyone with ecs:DescribeTasks or
 * codebuild:BatchGetBuilds could read it there). tornade writes it to a one-time SSM SecureString parameter under a
 * prefix of its own, encrypted with a KMS key only runner roles may decrypt, and gives the runner only the parameter's
 * name; the runner reads it with decryption and deletes it (runner-image/entrypoint.sh, testbed/runner/handoff.ts).
 * The choice is argued in docs/security.md, "Runner credentials".
 */

/**
 * The environment variable that carries a runner's JIT configuration into the runner process.
 * The actions runner reads `ACTIONS_RUNNER_INPUT_<ARG>` for any command-line argument, so this one is the same as
 * `run.sh --jitconfig <value>` without the secret ever appearing on a command line. tornade never sets it in plaintext:
 * on CodeBuild it is a PARAMETER_STORE variable (CodeBuild resolves the parameter when the build starts), on Fargate the
 * entrypoint sets it after reading the parameter.
 */
export const JIT_CONFIG_ENV = "ACTIONS_RUNNER_INPUT_JITCONFIG";

/** The name of the one-time SSM parameter holding the JIT config: the runner reads it (unless CodeBuild did) and deletes it. */
export const JIT_PARAMETER_ENV = "TORNADE_JITCONFIG_SSM_PARAMETER";

/**
 * Set on a standby runner (docs/standby.md): the clock time (ms since the epoch) until which it waits for its JIT
 * config. A standby polls its parameter (JIT_PARAMETER_ENV) every STANDBY_POLL_MS while it does not exist yet
 * (ParameterNotFound is the normal answer then), reads and deletes it once tornade has written it, and starts the
 * runner with it; at the deadline with nothing handed to it, it exits 0. Only the parameter's name is in its
 * environment, as for every runner: the config itself is written only when a job is handed to it.
 */
export const STANDBY_UNTIL_ENV = "TORNADE_STANDBY_UNTIL";

/**
 * How often a standby polls for its JIT config. Each poll is a GetParameter, which shares Parameter Store's standard
 * throughput (40 TPS per account, "AWS Systems Manager endpoints and quotas") with tornade's PutParameter: N standbys
 * poll at N TPS. A handoff waits half of it on average (0.5 s of a warm pickup's ~4 s, docs/standby.md "Warm starts").
 * The image's TORNADE_STANDBY_POLL_SECONDS (STANDBY_POLL_SECONDS_ENV) overrides it.
 */
export const STANDBY_POLL_MS = 1_000;

/** The runner image's setting for STANDBY_POLL_MS, in seconds (a fraction allowed); tornade sets it on every standby. */
export const STANDBY_POLL_SECONDS_ENV = "TORNADE_STANDBY_POLL_SECONDS";

/**
 * How often each standby polls when `standbys` of them poll the account's Parameter Store together and may use at most
 * `pollsPerSecond` of its throughput: every STANDBY_POLL_MS while that fits, slower beyond (60 standbys on a budget of
 * 20 a second poll every 3 s). The rest of the 40 TPS stays for tornade's PutParameter and the cold runners' reads.
 */
export function standbyPollMs(standbys: number, pollsPerSecond: number): number {
  if (!(pollsPerSecond > 0)) return STANDBY_POLL_MS;
  return Math.max(STANDBY_POLL_MS, Math.ceil((Math.max(0, standbys) / pollsPerSecond) * 1000));
}

/** Identity of the launch, for people and logs (never a secret): what tornade sets beside the parameter's name. */
export const RUNNER_NAME_ENV = "TORNADE_RUNNER_NAME";

/** Where tornade's one-time parameters live by default; runner roles may read and delete only under it. */
export const DEFAULT_JIT_PARAMETER_PREFIX = "/tornade/jit/";

/**
 * The KMS key tornade encrypts JIT parameters with by default: an alias the operator creates (infra/ does) whose key
 * policy lets only the runner roles decrypt. Not `alias/aws/ssm`: the AWS managed key lets every principal of the
 * account decrypt through SSM, and AWS's ReadOnlyAccess policy includes ssm:GetParameter.
 */
export const DEFAULT_JIT_KMS_KEY = "alias/tornade-runner-jitconfig";

/**
 * SSM parameter names: letters, digits and `_ . - /`; a hierarchy starts with "/"; "aws" and "ssm" are reserved as a
 * first segment; at most 15 levels ("Creating Parameter Store parameters" → "Requirements and constraints for parameter
 * names", AWS Systems Manager User Guide).
 */
const NAME_CHARS = /^[A-Za-z0-9_.\-/]+$/;
export const MAX_PARAMETER_LEVELS = 15;

/** What is wrong with a prefix for tornade's parameters, or undefined when it is usable. */
export function parameterPrefixProblem(prefix: string): string | undefined {
  if (!prefix.startsWith("/") || !prefix.endsWith("/")) return `must start and end with "/" (e.g. ${DEFAULT_JIT_PARAMETER_PREFIX})`;
  if (!NAME_CHARS.test(prefix)) return "may hold only letters, digits and _ . - /";
  if (prefix.includes("//")) return 'must not contain an empty level ("//")';
  if (/^\/(aws|ssm)/i.test(prefix)) return 'must not begin with "aws" or "ssm" (reserved by Parameter Store)';
  // One more level for the parameter itself.
  if (prefix.split("/").length - 2 + 1 > MAX_PARAMETER_LEVELS) return `may have at most ${MAX_PARAMETER_LEVELS - 1} levels`;
  return undefined;
}

/**
 * The parameter name for one launch: the prefix, the runner's name (so an operator can tell whose it is) and a
 * secret-derived suffix (so nobody who knows the runner's name can derive it: a job on another runner holds a runner
 * role that may read under the prefix). `suffix` is 32 hex characters (128 bits) from the caller.
 */
export function jitParameterName(prefix: string, runnerName: string, suffix: string): string {
  return `${prefix}${runnerName.replace(/[^A-Za-z0-9_.-]/g, "_")}.${suffix}`;
}

/**
 * When an unread parameter expires: after the longest a runner may take to boot (tornade stops a runner not running
 * after launch.bootTimeoutSeconds) plus a margin. Parameter Store enforces expiration by periodic asynchronous scans
 * ("Assigning parameter policies"), so this is a backstop for parameters tornade could not delete itself (a crash
 * between PutParameter and RunTask), never the normal way they go.
 */
export const JIT_PARAMETER_EXPIRY_MARGIN_MS = 15 * 60_000;

export function jitParameterExpiresAt(now: number, bootTimeoutMs: number): number {
  return now + bootTimeoutMs + JIT_PARAMETER_EXPIRY_MARGIN_MS;
}
