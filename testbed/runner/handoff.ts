/**
 * How a simulated runner container obtains its JIT config: the same handoff as runner-image/entrypoint.sh, step for
 * step, so the test bed exercises what a real runner does (src/core/runner-env.ts, docs/security.md "Runner
 * credentials").
 * 1. TORNADE_JITCONFIG_SSM_PARAMETER names a one-time SSM parameter. Unless the platform resolved it already into
 *    ACTIONS_RUNNER_INPUT_JITCONFIG (CodeBuild does for PARAMETER_STORE variables), read it with decryption.
 * 2. Delete the parameter: it is single-use, and nobody else should find it there. A failed delete is a warning.
 * 3. With no parameter named, take ACTIONS_RUNNER_INPUT_JITCONFIG as given (a config passed directly; tornade never
 *    does, but the runner image accepts it).
 * A standby (TORNADE_STANDBY_UNTIL set, docs/standby.md) polls for its parameter in step 1 every STANDBY_POLL_MS (or the
 * image's TORNADE_STANDBY_POLL_SECONDS) of
 * clock time while GetParameter answers ParameterNotFound, until its deadline (then exit 0: no job came) or a signal.
 * No config at all, or a parameter that cannot be read, is exit 78 (EX_CONFIG), as the entrypoint exits.
 * The AWS calls use the container's own credentials, region and endpoint (the AWS_* variables the test bed gives every
 * container, as ECS and CodeBuild give a container its role's), through the real @aws-sdk/client-ssm, retrying
 * throttling as the entrypoint's AWS CLI does (AWS_MAX_ATTEMPTS there).
 */
import { DeleteParameterCommand, GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { systemClock, type Clock } from "../../src/clock/clock.js";
import { JIT_CONFIG_ENV, JIT_PARAMETER_ENV, STANDBY_POLL_MS, STANDBY_POLL_SECONDS_ENV, STANDBY_UNTIL_ENV } from "../../src/core/runner-env.js";

/** sysexits.h EX_CONFIG: what runner-image/entrypoint.sh exits with when it has no JIT config. */
export const EXIT_NO_CONFIG = 78;

/** The entrypoint's AWS CLI attempts (AWS_MAX_ATTEMPTS), so a throttled read is retried with backoff. */
export const HANDOFF_MAX_ATTEMPTS = 8;

export type Handoff = { readonly config: string } | { readonly exitCode: number; readonly reason: string };

/** How a standby waits: the clock its polls and deadline follow, and SIGTERM, which ends the wait (exit 143). */
export interface StandbyWait {
  readonly clock?: Clock;
  readonly term?: AbortSignal;
}

export async function obtainJitConfig(
  env: Readonly<Record<string, string>>,
  log: (line: string) => void,
  signal?: AbortSignal,
  wait: StandbyWait = {},
): Promise<Handoff> {
  const parameter = env[JIT_PARAMETER_ENV];
  let config = env[JIT_CONFIG_ENV];
  if (parameter) {
    const ssm = clientFor(env);
    if (!ssm) return { exitCode: EXIT_NO_CONFIG, reason: `the container has no AWS region, endpoint or credentials to read ${parameter} with` };
    if (!config) {
      const until = standbyDeadline(env);
      if (typeof until === "string") return { exitCode: EXIT_NO_CONFIG, reason: until };
      log(until === undefined ? `reading the JIT config from SSM parameter ${parameter}` : `standby: waiting for a JIT config in SSM parameter ${parameter}`);
      const clock = wait.clock ?? systemClock;
      for (;;) {
        try {
          const got = await ssm.send(new GetParameterCommand({ Name: parameter, WithDecryption: true }), { abortSignal: signal });
          config = got.Parameter?.Value;
          break;
        } catch (e) {
          const waiting = until !== undefined && e instanceof Error && e.name === "ParameterNotFound";
          // The error's name and AWS's words; never a value (there is none on failure).
          if (!waiting || until === undefined) return { exitCode: EXIT_NO_CONFIG, reason: `could not read the JIT config from SSM parameter ${parameter}: ${errorText(e)}` };
          if (clock.now() >= until) return { exitCode: 0, reason: "standby: no job was handed to it by its deadline" };
          const stop = AbortSignal.any([signal, wait.term].filter((x): x is AbortSignal => x !== undefined));
          try {
            await clock.sleep(Math.min(pollMs(env), Math.max(1, until - clock.now())), stop);
          } catch {
            return { exitCode: signal?.aborted ? 137 : 143, reason: "standby: signalled while waiting for its JIT config" };
          }
        }
      }
      if (until !== undefined) log(`standby: JIT config received`);
    }
    try {
      await ssm.send(new DeleteParameterCommand({ Name: parameter }), { abortSignal: signal });
    } catch (e) {
      log(`warning: could not delete SSM parameter ${parameter} (${errorText(e)}); it expires on its own`);
    }
  }
  if (!config) return { exitCode: EXIT_NO_CONFIG, reason: `no JIT config: set ${JIT_CONFIG_ENV} or ${JIT_PARAMETER_ENV}` };
  return { config };
}

/**
 * Clients by the container environment they were made from. A real runner makes its own, but thousands of simulated
 * runners share this process with the simulators: one AWS SDK client per runner costs the test bed CPU that a
 * compressed clock turns into simulated delay for every job. The same credentials, region and endpoint are the same
 * client; what a runner may do is decided by the simulated service from those credentials either way.
 */
const clients = new Map<string, SSMClient>();

/**
 * A client from the container's environment only; undefined when it lacks any part. Never the test process's own
 * settings (the SDK's default chain would reach for them, and for AWS itself when no endpoint is set).
 */
function clientFor(env: Readonly<Record<string, string>>): SSMClient | undefined {
  const region = env["AWS_REGION"];
  const endpoint = env["AWS_ENDPOINT_URL"];
  const accessKeyId = env["AWS_ACCESS_KEY_ID"];
  const secretAccessKey = env["AWS_SECRET_ACCESS_KEY"];
  if (!region || !endpoint || !accessKeyId || !secretAccessKey) return undefined;
  const key = JSON.stringify([region, endpoint, accessKeyId, secretAccessKey]);
  let client = clients.get(key);
  if (!client) {
    client = new SSMClient({ region, endpoint, credentials: { accessKeyId, secretAccessKey }, maxAttempts: HANDOFF_MAX_ATTEMPTS });
    clients.set(key, client);
  }
  return client;
}

/** A standby's deadline from its environment; undefined for a runner launched for its job; text when malformed. */
function standbyDeadline(env: Readonly<Record<string, string>>): number | string | undefined {
  const raw = env[STANDBY_UNTIL_ENV];
  if (raw === undefined || raw === "") return undefined;
  const until = Number(raw);
  return Number.isSafeInteger(until) ? until : `${STANDBY_UNTIL_ENV} must be a time in ms since the epoch, got "${raw}"`;
}

/** The standby's poll interval: the image's setting when it is a positive number of seconds, else STANDBY_POLL_MS. */
function pollMs(env: Readonly<Record<string, string>>): number {
  const seconds = Number(env[STANDBY_POLL_SECONDS_ENV]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : STANDBY_POLL_MS;
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
