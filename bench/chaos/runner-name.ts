/** Reading a started task's or build's runner from the simulators: which runner it was launched as. */
import { JIT_CONFIG_ENV, RUNNER_NAME_ENV } from "../../src/core/runner-env.js";
import { decodeJitConfig } from "../../testbed/github/jitconfig.js";

/**
 * The runner name a task or build was launched as: tornade's RUNNER_NAME_ENV (the JIT config itself travels by a
 * one-time SSM parameter, not in the environment); failing that, the name in a JIT config given in the environment
 * directly. Undefined when there is neither (or the config does not decode).
 */
export function runnerNameOf(env: Record<string, string>): string | undefined {
  const named = env[RUNNER_NAME_ENV];
  if (named) return named;
  const jit = env[JIT_CONFIG_ENV];
  return jit === undefined ? undefined : jitRunnerName(jit);
}

/** The runner an encoded JIT config registers (what a standby is handed); undefined when it does not decode. */
export function jitRunnerName(encoded: string): string | undefined {
  try {
    return decodeJitConfig(encoded).runner.agentName;
  } catch {
    return undefined;
  }
}

/** Pool runners are meant to stay: tornade names them tornade-pool-<backend>-<arch>-<n> (core/pool.ts). */
export const isPoolRunner = (name: string | undefined): boolean => name?.startsWith("tornade-pool-") === true;
