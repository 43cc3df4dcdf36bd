/**
 * The simulated runner as a ContainerRuntime (testbed/runtime.ts): what the AWS simulator starts inside a Fargate
 * task or a CodeBuild build. The container's environment carries the JIT config in JIT_CONFIG_ENV, exactly as
 * tornade passes it to the real runner image.
 */
import { systemClock, type Clock } from "../../src/clock/clock.js";
import { JIT_CONFIG_ENV } from "../../src/core/runner-env.js";
import type { ContainerRuntime } from "../runtime.js";
import { runSimulatedRunner } from "./runner.js";

export { runSimulatedRunner, type RunnerOutcome, type RunnerRunOptions } from "./runner.js";

export interface SimulatedRunnerRuntimeOptions {
  clock?: Clock;
  /** Clock time from container start to the runner process starting (image pull, boot). */
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
      const boot = clock.sleep(opts.bootDelayMs ?? 0, AbortSignal.any([term.signal, kill.signal]));
      boot.then(
        async () => {
          const config = spec.env[JIT_CONFIG_ENV];
          if (!config) {
            log(`${JIT_CONFIG_ENV} is not set: the container has no runner configuration`);
            return exit(1);
          }
          const r = await runSimulatedRunner(config, { clock, signal: term.signal, kill: kill.signal, log });
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
