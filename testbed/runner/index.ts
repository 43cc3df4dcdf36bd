/**
 * The simulated runner as a ContainerRuntime (testbed/runtime.ts): what the AWS simulator starts inside a Fargate
 * task or a CodeBuild build. It obtains its JIT config as the real runner image's entrypoint does (handoff.ts: the
 * one-time SSM parameter tornade names, read with decryption and deleted), then runs the runner. A standby
 * (docs/standby.md) waits for that parameter to be written first.
 */
import { systemClock, type Clock } from "../../src/clock/clock.js";
import { STANDBY_UNTIL_ENV } from "../../src/core/runner-env.js";
import type { ContainerRuntime } from "../runtime.js";
import { obtainJitConfig, type Handoff } from "./handoff.js";
import { runSimulatedRunner } from "./runner.js";

export { runSimulatedRunner, type RunnerOutcome, type RunnerRunOptions } from "./runner.js";
export { EXIT_NO_CONFIG, obtainJitConfig, type Handoff } from "./handoff.js";

export interface SimulatedRunnerRuntimeOptions {
  clock?: Clock;
  /**
   * Clock time from container start to the runner reading its JIT config and registering. Default: the start-up the
   * AWS simulator's boot model drew for this container (ContainerSpec.startupMs), else none.
   */
  bootDelayMs?: number;
  /** Log sink; default: stderr lines prefixed with the task / build id. */
  log?: (line: string) => void;
}

export function simulatedRunnerRuntime(opts: SimulatedRunnerRuntimeOptions = {}): ContainerRuntime {
  const clock = opts.clock ?? systemClock;
  return {
    start(spec, onExit) {
      const term = new AbortController();
      const kill = new AbortController();
      const log = opts.log ?? ((line: string) => process.stderr.write(`[runner ${spec.id}] ${line}\n`));
      let exited = false;
      const exit = (code: number) => {
        if (exited) return;
        exited = true;
        onExit(code);
      };
      const signals = AbortSignal.any([term.signal, kill.signal]);
      const sleep = (ms: number) => clock.sleep(ms, signals);
      const handoff = () => obtainJitConfig(spec.env, log, kill.signal, { clock, term: term.signal });
      // A runner launched for its job starts, then reads its config. A standby is up (its image pulled) before any
      // job is known: while it waits for its config it warms the runner up (Runner.Listener --warmup in the image),
      // and after the handoff it pays only the rest of the start-up (the boot model's runnerStartWarmed; all of it
      // when the platform gave no such figure).
      const total = opts.bootDelayMs ?? spec.startupMs ?? 0;
      const standby = Boolean(spec.env[STANDBY_UNTIL_ENV]);
      let obtained: Promise<Handoff>;
      if (standby) {
        const after = Math.min(total, opts.bootDelayMs === undefined ? (spec.warmedStartupMs ?? total) : total);
        const warmup = sleep(total - after);
        // A standby killed while waiting must not leave the warm-up's rejection unhandled.
        warmup.catch(() => undefined);
        obtained = handoff().then(async (h) => ("config" in h ? (await warmup, await sleep(after), h) : h));
      } else obtained = sleep(total).then(handoff);
      obtained.then(
        async (h) => {
          if (!("config" in h)) {
            log(h.reason);
            return exit(h.exitCode);
          }
          const r = await runSimulatedRunner(h.config, { clock, signal: term.signal, kill: kill.signal, log });
          exit(r.exitCode);
        },
        // Signalled before the runner even started.
        () => exit(kill.signal.aborted ? 137 : 143),
      );
      return {
        signal(sig) {
          if (sig === "SIGKILL") {
            kill.abort();
            // A killed process is gone at once; whatever the runner was awaiting no longer matters.
            exit(137);
          } else term.abort();
        },
      };
    },
  };
}
