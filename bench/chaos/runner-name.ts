/** Reading a started task's or build's runner from the simulators: which runner it was launched as. */
import { JIT_CONFIG_ENV } from "../../src/core/runner-env.js";
import { decodeJitConfig } from "../../testbed/github/jitconfig.js";

/** The runner name in a task's or build's JIT config; undefined when there is none (or it does not decode). */
export function runnerNameOf(env: Record<string, string>): string | undefined {
  const jit = env[JIT_CONFIG_ENV];
  if (jit === undefined) return undefined;
  try {
    return decodeJitConfig(jit).runner.agentName;
  } catch {
    return undefined;
  }
}

/** Pool runners are meant to stay: tornade names them tornade-pool-<backend>-<arch>-<n> (core/pool.ts). */
export const isPoolRunner = (name: string | undefined): boolean => name?.startsWith("tornade-pool-") === true;
