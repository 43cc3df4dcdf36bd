import { afterEach, describe, expect, it } from "vitest";
import type { Clock } from "../clock/clock.js";
import { sqliteStore } from "../store/sqlite-store.js";
import type { SqliteStore } from "../store/sqlite-store.js";
import { LaunchGate } from "./launch-gate.js";

/** A clock that moves only when told: the gate's pacing is checked at exact instants. */
function manualClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    speed: 1,
    now: () => now,
    advance: (ms) => void (now += ms),
    setTimeout: (fn, ms) => ({ handle: setTimeout(fn, ms) }),
    clearTimeout: (t) => clearTimeout(t.handle),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
});

describe("LaunchGate", () => {
  it("paces FARGATE launches to RunTask's 20 a second, then admits again as the bucket refills", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 10_000, perBackend: {} });
    for (let job = 1; job <= 20; job++) expect(await gate.admit(job, "FARGATE")).toEqual({ ok: true });
    const held = await gate.admit(21, "FARGATE");
    expect(held).toMatchObject({ ok: false, retryInMs: 50 });
    clock.advance(50);
    expect(await gate.admit(21, "FARGATE")).toEqual({ ok: true });
  });

  it("paces launches of every backend together to Parameter Store's 20 puts a second (half its 40 TPS)", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 10_000, perBackend: {} });
    // Fargate alone may take 20 now (RunTask's burst), CodeBuild alone 20 (StartBuild's): together each launch also
    // writes its runner's JIT parameter, and the SSM bucket holds 20.
    for (let job = 1; job <= 10; job++) expect(await gate.admit(job, "FARGATE")).toEqual({ ok: true });
    for (let job = 11; job <= 20; job++) expect(await gate.admit(job, "CODEBUILD")).toEqual({ ok: true });
    expect(await gate.admit(21, "CODEBUILD")).toMatchObject({ ok: false, retryInMs: 50, reason: expect.stringMatching(/quotas/) });
    clock.advance(50);
    expect(await gate.admit(21, "CODEBUILD")).toEqual({ ok: true });
  });

  it("holds jobs beyond the runner limit, and admits the oldest first when a runner frees", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 2, perBackend: {} });
    for (const jobId of [1, 2]) {
      expect(await gate.admit(jobId, "CODEBUILD")).toEqual({ ok: true });
      await store.putLaunch({ jobId, attempt: 1, backend: "CODEBUILD", arch: "X86_64", runnerName: `tornade-${jobId}-1`, requestedAt: clock.now(), state: "running" });
    }
    expect(await gate.admit(3, "CODEBUILD")).toMatchObject({ ok: false, reason: expect.stringMatching(/limit of 2/) });
    clock.advance(1000);
    expect(await gate.admit(4, "CODEBUILD")).toMatchObject({ ok: false });
    // Job 1's runner finishes: the oldest waiter (3) goes first, the newer one (4) keeps waiting.
    const l1 = (await store.listLaunches(1))[0]!;
    await store.updateLaunch(l1.id, l1.version, { state: "stopped" });
    expect(await gate.admit(4, "CODEBUILD")).toMatchObject({ ok: false, reason: expect.stringMatching(/older jobs/) });
    expect(await gate.admit(3, "CODEBUILD")).toEqual({ ok: true });
  });

  it("applies a per-backend limit without holding other backends", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 100, perBackend: { FARGATE_SPOT: 1 } });
    await store.putLaunch({ jobId: 1, attempt: 1, backend: "FARGATE_SPOT", arch: "X86_64", runnerName: "tornade-1-1", requestedAt: clock.now(), state: "launched" });
    expect(await gate.admit(2, "FARGATE_SPOT")).toMatchObject({ ok: false });
    expect(await gate.admit(3, "FARGATE")).toEqual({ ok: true });
  });
});
