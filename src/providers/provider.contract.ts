/**
 * The expectations every Provider meets, run against the AWS simulator through the real SDK clients.
 * A provider's test file builds a ContractBed (the provider plus the simulator's hands) and calls
 * `providerContract(name, make)`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Arch, Backend, LaunchSpec } from "../core/types.js";
import { DEFAULT_JIT_PARAMETER_PREFIX, JIT_CONFIG_ENV, JIT_PARAMETER_ENV, STANDBY_POLL_SECONDS_ENV, STANDBY_UNTIL_ENV } from "../core/runner-env.js";
import type { ContainerHandle, ContainerRuntime, ContainerSpec } from "../../testbed/runtime.js";
import { obtainJitConfig } from "../../testbed/runner/handoff.js";
import { leakedFragment } from "../../test/support/secret-fragments.js";
import { LaunchError, type LaunchRequest, type LaunchState, type Provider } from "./provider.js";
import type { JitHandoff } from "./jit-handoff.js";

export interface ContractBed {
  readonly provider: Provider;
  /** The same provider configured with a task definition / project the account does not have. */
  readonly misconfigured: Provider;
  /** The backend the contract launches on. */
  readonly backend: Backend;
  /** The runtime the simulator runs containers with: what each task or build was started with. */
  readonly runtime: ControlledRuntime;
  /** Tasks or builds the backend has started so far. */
  launchCount(): number;
  /** Makes the next launch call answer ThrottlingException. */
  throttleNextLaunch(): void;
  /** Makes launches fail for want of capacity until cleared; absent where the backend has no such case. */
  capacityShortage?: { start(): void; clear(): void };
  /** Names of the JIT parameters Parameter Store holds now. */
  parameters(): string[];
  /** Writes a parameter as a handoff to a standby does (a job's config to the name the standby waits on). */
  readonly handoff: Pick<JitHandoff, "handTo">;
  /** Every request to and answer from the backend's service so far (ECS or CodeBuild), as JSON text. */
  traffic(): string;
  close(): Promise<void>;
}

/** A ContainerRuntime whose containers run until the test ends them: the test decides when a runner exits. */
export class ControlledRuntime implements ContainerRuntime {
  readonly started = new Map<string, ContainerSpec>();
  private readonly exits = new Map<string, (code: number) => void>();

  start(spec: ContainerSpec, onExit: (exitCode: number) => void): ContainerHandle {
    this.started.set(spec.id, spec);
    let done = false;
    const exit = (code: number) => {
      if (done) return;
      done = true;
      this.exits.delete(spec.id);
      onExit(code);
    };
    this.exits.set(spec.id, exit);
    return { signal: (sig) => exit(sig === "SIGKILL" ? 137 : 143) };
  }

  /**
   * Resolves once the container of `id` runs. A build reports "running" from its first phase after PROVISIONING,
   * a little before the runner's command starts (in BUILD); bounded by attempts, not by a duration.
   */
  async waitStarted(id: string): Promise<ContainerSpec> {
    for (let i = 0; i < 400; i++) {
      const spec = this.started.get(id);
      if (spec) return spec;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`the container of ${id} never started`);
  }

  /** The runner in task/build `id` exits with `code`; false if it is not running. */
  finish(id: string, code: number): boolean {
    const exit = this.exits.get(id);
    if (!exit) return false;
    exit(code);
    return true;
  }
}

/** Collects what a provider sent its service and what the service answered, for ContractBed.traffic. */
export function trafficRecorder(service: "ecs" | "codebuild") {
  const seen: string[] = [];
  const record = (r: { service: string; body: unknown }) => void (r.service === service && seen.push(JSON.stringify(r.body)));
  return { onRequest: record, onResponse: record, text: () => seen.join("\n") };
}

let seq = 0;
export function launchRequest(backend: Backend, arch: Arch, over: Partial<LaunchSpec> = {}): LaunchRequest & { readonly jitConfig: string } {
  const jobId = 9_000_000 + ++seq;
  const spec: LaunchSpec = {
    backend,
    arch,
    image: "default",
    runnerLabels: ["self-hosted", "tornade", `runs-on=${backend}`, `arch=${arch}`],
    ...over,
  };
  return {
    idempotencyKey: `job-${jobId}-attempt-1`,
    spec,
    jitConfig: Buffer.from(JSON.stringify({ ".runner": `secret-${jobId}` })).toString("base64"),
    runnerName: `tornade-${jobId}-1`,
    jobId,
    runId: 500 + seq,
    repository: "octo-org/widgets",
  };
}

/** Describes until `done` holds, collecting every status seen; bounded by attempts, not by a duration. */
export async function describeUntil(
  provider: Provider,
  req: { handle: LaunchState["handle"] },
  done: (s: LaunchState) => boolean,
  seen: string[] = [],
): Promise<LaunchState> {
  for (let i = 0; i < 400; i++) {
    const [state] = await provider.describe([req.handle]);
    if (!state) throw new Error("describe returned nothing for a handle");
    if (seen[seen.length - 1] !== state.status) seen.push(state.status);
    if (done(state)) return state;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`launch ${req.handle.id} never reached the expected state; saw ${seen.join(" → ")}`);
}

async function launchError(p: Promise<unknown>): Promise<LaunchError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LaunchError) return e;
    throw e;
  }
  throw new Error("expected the launch to fail");
}

/** What a backend can do at all: CodeBuild has no capacity shortage to report, so that expectation is not its. */
export interface ProviderCapabilities {
  readonly capacityShortage: boolean;
}

export function providerContract(name: string, make: () => Promise<ContractBed>, caps: ProviderCapabilities = { capacityShortage: true }): void {
  describe(`${name} provider (contract)`, () => {
    let bed: ContractBed;
    beforeAll(async () => {
      bed = await make();
    });
    afterAll(async () => {
      await bed?.close();
    });

    it("hands the runner its JIT config through a one-time parameter, never in what it sends AWS or AWS shows", async () => {
      expect(bed.provider.backends).toContain(bed.backend);
      const req = launchRequest(bed.backend, "X86_64");
      const handle = await bed.provider.launch(req);
      expect(handle.backend).toBe(bed.backend);
      const mine = () => bed.parameters().filter((n) => n.includes(req.runnerName));
      expect(mine()).toHaveLength(1);
      await describeUntil(bed.provider, { handle }, (s) => s.status === "running");
      const container = await bed.runtime.waitStarted(handle.id);
      // The container is told the parameter's name; the config itself it gets only through the handoff.
      expect(container.env[JIT_PARAMETER_ENV]).toBe(mine()[0]);
      const got = await obtainJitConfig(container.env, () => {});
      expect(got).toEqual({ config: req.jitConfig });
      expect(mine()).toEqual([]);
      expect(leakedFragment(bed.traffic(), req.jitConfig)).toBeUndefined();
      bed.runtime.finish(handle.id, 0);
    });

    it("starts a standby without writing its parameter, telling it only where and until when to wait (docs/standby.md)", async () => {
      const cold = launchRequest(bed.backend, "X86_64");
      const parameter = `${DEFAULT_JIT_PARAMETER_PREFIX}tornade-standby-${cold.jobId}.0123456789abcdef0123456789abcdef`;
      const req: LaunchRequest = { ...cold, jobId: 0, runId: 0, jitConfig: undefined, standby: { parameter, until: 1_900_000_000_000, pollMs: 1_500 } };
      const handle = await bed.provider.launch(req);
      // Running without its parameter: CodeBuild was not asked to resolve it at start (it does not exist yet).
      await describeUntil(bed.provider, { handle }, (s) => s.status === "running");
      const container = await bed.runtime.waitStarted(handle.id);
      expect(container.env[JIT_PARAMETER_ENV]).toBe(parameter);
      expect(container.env[STANDBY_UNTIL_ENV]).toBe("1900000000000");
      expect(container.env[STANDBY_POLL_SECONDS_ENV]).toBe("1.5");
      expect(container.env[JIT_CONFIG_ENV]).toBeUndefined();
      expect(bed.parameters()).not.toContain(parameter);
      bed.runtime.finish(handle.id, 0);
    });

    it("deletes a standby's parameter once describe sees it stopped, however it ended: a handoff written twice leaves one", async () => {
      const job = launchRequest(bed.backend, "X86_64");
      const parameter = `${DEFAULT_JIT_PARAMETER_PREFIX}tornade-standby-${job.jobId}.0123456789abcdef0123456789abcdef`;
      const handle = await bed.provider.launch({ ...job, jobId: 0, runId: 0, jitConfig: undefined, standby: { parameter, until: 1_900_000_000_000, pollMs: 1_000 } });
      await describeUntil(bed.provider, { handle }, (s) => s.status === "running");
      await bed.runtime.waitStarted(handle.id);
      // The write whose answer was lost landed again after the standby's runner read (and deleted) the first one.
      await bed.handoff.handTo(parameter, job);
      bed.runtime.finish(handle.id, 0);
      const end = await describeUntil(bed.provider, { handle }, (s) => s.status === "stopped");
      expect(end.succeeded).toBe(true);
      expect(bed.parameters()).not.toContain(parameter);
    });

    it("deletes the parameter of a launch AWS refused, and of one stopped before its runner read it", async () => {
      const refused = launchRequest(bed.backend, "X86_64");
      bed.throttleNextLaunch();
      await launchError(bed.provider.launch(refused));
      expect(bed.parameters().filter((n) => n.includes(refused.runnerName))).toEqual([]);

      const stopped = launchRequest(bed.backend, "X86_64");
      const handle = await bed.provider.launch(stopped);
      expect(bed.parameters().filter((n) => n.includes(stopped.runnerName))).toHaveLength(1);
      await bed.provider.stop(handle, "job cancelled");
      expect(bed.parameters().filter((n) => n.includes(stopped.runnerName))).toEqual([]);
    });

    it("deletes the parameter of a runner that failed without reading it, once describe sees it stopped", async () => {
      const req = launchRequest(bed.backend, "X86_64");
      const handle = await bed.provider.launch(req);
      await describeUntil(bed.provider, { handle }, (s) => s.status === "running");
      await bed.runtime.waitStarted(handle.id);
      bed.runtime.finish(handle.id, 1);
      await describeUntil(bed.provider, { handle }, (s) => s.status === "stopped");
      expect(bed.parameters().filter((n) => n.includes(req.runnerName))).toEqual([]);
    });

    it("launches once for a repeated idempotency key and returns the same handle", async () => {
      const req = launchRequest(bed.backend, "X86_64");
      const before = bed.launchCount();
      const [a, b] = await Promise.all([bed.provider.launch(req), bed.provider.launch(req)]);
      const c = await bed.provider.launch(req);
      expect(b).toEqual(a);
      expect(c).toEqual(a);
      expect(bed.launchCount()).toBe(before + 1);
      // The same attempt writes the same parameter: RunTask / StartBuild see identical parameters each time.
      expect(bed.parameters().filter((n) => n.includes(req.runnerName))).toHaveLength(1);
      await describeUntil(bed.provider, { handle: a }, (s) => s.status === "running");
      await bed.runtime.waitStarted(a.id);
      bed.runtime.finish(a.id, 0);
    });

    it("finds a launch again by its runner's name, running or stopped, and no other (a launch whose answer was lost)", async () => {
      const req = launchRequest(bed.backend, "X86_64");
      const lost = { backend: bed.backend, arch: req.spec.arch, runnerName: req.runnerName, requestedAt: 0 };
      const handle = await bed.provider.launch(req);
      const other = await bed.provider.launch(launchRequest(bed.backend, "X86_64"));
      expect(await bed.provider.findLaunch(lost)).toEqual(handle);
      await bed.provider.stop(handle, "test");
      await describeUntil(bed.provider, { handle }, (s) => s.status === "stopped");
      expect(await bed.provider.findLaunch(lost)).toEqual(handle);
      expect(await bed.provider.findLaunch({ ...lost, runnerName: `${req.runnerName}0` })).toBeUndefined();
      await bed.provider.stop(other, "test");
    });

    it("reports pending → running → stopped, succeeded when the runner exits 0", async () => {
      const handle = await bed.provider.launch(launchRequest(bed.backend, "X86_64"));
      const seen: string[] = [];
      await describeUntil(bed.provider, { handle }, (s) => s.status === "running", seen);
      await bed.runtime.waitStarted(handle.id);
      expect(seen).toEqual(["pending", "running"]);
      expect(bed.runtime.finish(handle.id, 0)).toBe(true);
      const end = await describeUntil(bed.provider, { handle }, (s) => s.status === "stopped", seen);
      expect(seen).toEqual(["pending", "running", "stopped"]);
      expect(end.succeeded).toBe(true);
      expect(end.spotInterrupted).toBe(false);
      expect(end.startedAt).toBeTypeOf("number");
      expect(end.stoppedAt).toBeGreaterThanOrEqual(end.startedAt ?? Infinity);
    });

    it("reports a runner that exits non-zero as stopped and not succeeded", async () => {
      const handle = await bed.provider.launch(launchRequest(bed.backend, "X86_64"));
      await describeUntil(bed.provider, { handle }, (s) => s.status === "running");
      await bed.runtime.waitStarted(handle.id);
      bed.runtime.finish(handle.id, 1);
      const end = await describeUntil(bed.provider, { handle }, (s) => s.status === "stopped");
      expect(end.succeeded).toBe(false);
      expect(end.reason).toBeTruthy();
    });

    it("describes many launches in one answer, in the order asked", async () => {
      const handles = await Promise.all([1, 2, 3].map(() => bed.provider.launch(launchRequest(bed.backend, "X86_64"))));
      const states = await bed.provider.describe([...handles].reverse());
      expect(states.map((s) => s.handle.id)).toEqual([...handles].reverse().map((h) => h.id));
      for (const h of handles) {
        await describeUntil(bed.provider, { handle: h }, (s) => s.status === "running");
        await bed.runtime.waitStarted(h.id);
        bed.runtime.finish(h.id, 0);
      }
    });

    it("stops a running launch", async () => {
      const handle = await bed.provider.launch(launchRequest(bed.backend, "X86_64"));
      await describeUntil(bed.provider, { handle }, (s) => s.status === "running");
      await bed.runtime.waitStarted(handle.id);
      await bed.provider.stop(handle, "job cancelled");
      const end = await describeUntil(bed.provider, { handle }, (s) => s.status === "stopped");
      expect(end.succeeded).toBe(false);
    });

    it("honours the architecture", async () => {
      for (const arch of ["X86_64", "ARM64"] as const) {
        const handle = await bed.provider.launch(launchRequest(bed.backend, arch));
        await describeUntil(bed.provider, { handle }, (s) => s.status === "running");
        await bed.runtime.waitStarted(handle.id);
        expect(bed.runtime.started.get(handle.id)?.arch).toBe(arch);
        bed.runtime.finish(handle.id, 0);
      }
    });

    it("reports throttling as retryable 'throttled'", async () => {
      bed.throttleNextLaunch();
      const err = await launchError(bed.provider.launch(launchRequest(bed.backend, "X86_64")));
      expect(err.kind).toBe("throttled");
      expect(err.retryable).toBe(true);
    });

    it("reports a missing task definition / project as 'permanent'", async () => {
      const err = await launchError(bed.misconfigured.launch(launchRequest(bed.backend, "X86_64")));
      expect(err.kind).toBe("permanent");
      expect(err.retryable).toBe(false);
    });

    it("refuses a backend it does not serve as 'permanent'", async () => {
      const other = (["FARGATE", "FARGATE_SPOT", "CODEBUILD"] as const).find((b) => !bed.provider.backends.includes(b));
      if (!other) return;
      const err = await launchError(bed.provider.launch(launchRequest(other, "X86_64")));
      expect(err.kind).toBe("permanent");
    });

    // Only where the backend has such a failure at all (not CodeBuild): registered conditionally, never skipped.
    if (caps.capacityShortage) {
      it("reports a capacity shortage as retryable 'capacity' with AWS's reason", async () => {
        if (!bed.capacityShortage) throw new Error(`${name}: declared capacityShortage but the bed offers no way to cause one`);
        bed.capacityShortage.start();
        try {
          const req = launchRequest(bed.backend, "X86_64");
          const err = await launchError(bed.provider.launch(req));
          expect(err.kind).toBe("capacity");
          expect(err.message).toMatch(/Capacity is unavailable at this time/);
          expect(bed.parameters().filter((n) => n.includes(req.runnerName))).toEqual([]);
        } finally {
          bed.capacityShortage.clear();
        }
      });
    }
  });
}
