/**
 * What the simulated AWS runs inside a task or build: the bridge between testbed/aws and testbed/runner.
 *
 * When an ECS task reaches RUNNING (or a CodeBuild build enters its BUILD phase), the AWS simulator calls
 * `runtime.start(...)` with the container's environment. The runtime runs a program (the simulated runner) and tells
 * the simulator when it exits; the simulator then moves the task to STOPPED or the build to SUCCEEDED / FAILED.
 */
export interface ContainerSpec {
  /** "ecs" for a Fargate task, "codebuild" for a build. */
  readonly kind: "ecs" | "codebuild";
  /** The task ARN or the build id. */
  readonly id: string;
  readonly arch: "X86_64" | "ARM64";
  /** FARGATE or FARGATE_SPOT for ECS; the compute type for CodeBuild. */
  readonly capacity: string;
  /** The container environment after overrides. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Clock time the program takes to start — for the runner image, its entrypoint and Runner.Listener's start — as the
   * test bed's boot model drew it (testbed/aws/boot-model.ts). A runtime that models no start-up ignores it.
   */
  readonly startupMs?: number;
  /**
   * Of startupMs, what a standby that warmed the runner up while it waited still takes after its JIT config arrives
   * (boot-model.ts runnerStartWarmedMs). Absent: the whole startupMs comes after the handoff.
   */
  readonly warmedStartupMs?: number;
}

export interface ContainerHandle {
  /** SIGTERM asks the program to stop (a Spot interruption notice); SIGKILL ends it at once. */
  signal(sig: "SIGTERM" | "SIGKILL"): void;
}

export interface ContainerRuntime {
  start(spec: ContainerSpec, onExit: (exitCode: number) => void): ContainerHandle;
}

/** A runtime whose containers do nothing and exit 0 after `ms` of real time: for simulator tests without a runner. */
export function idleRuntime(ms = 0): ContainerRuntime {
  return {
    start(_spec, onExit) {
      let done = false;
      const finish = (code: number) => {
        if (done) return;
        done = true;
        clearTimeout(t);
        onExit(code);
      };
      const t = setTimeout(() => finish(0), ms);
      return { signal: (sig) => finish(sig === "SIGKILL" ? 137 : 143) };
    },
  };
}
