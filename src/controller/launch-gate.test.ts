import { afterEach, describe, expect, it } from "vitest";
import type { Clock } from "../clock/clock.js";
import type { Backend } from "../core/types.js";
import { sqliteStore } from "../store/sqlite-store.js";
import type { SqliteStore } from "../store/sqlite-store.js";
import { LaunchGate, WAITER_TTL_MS } from "./launch-gate.js";
import { jobWaiter } from "./launcher.js";

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

/** What the launcher does with a pass: write the launch row, then tell the gate the row counts now. */
async function startRunner(gate: LaunchGate, jobId: number, backend: Backend, now = 1_000_000): Promise<void> {
  const pass = await gate.admit(jobWaiter(jobId), backend);
  if (!pass.ok) throw new Error(`job ${jobId} was held: ${pass.reason}`);
  await store?.putLaunch({ jobId, attempt: 1, backend, arch: "X86_64", runnerName: `tornade-${jobId}-1`, requestedAt: now, state: "running" });
  pass.recorded();
}

async function finish(jobId: number): Promise<void> {
  const l = (await store?.listLaunches(jobId))?.[0];
  if (!l) throw new Error(`job ${jobId} has no launch`);
  await store?.updateLaunch(l.id, l.version, { state: "stopped" });
}
/** GitHub's window of 170 JIT configs a minute, filled by jobs 1–170 50 ms apart (under every AWS bucket's rate). */
async function fillJitWindow(gate: LaunchGate, clock: { advance(ms: number): void }): Promise<void> {
  for (let job = 1; job <= 170; job++) {
    expect(await gate.admit(jobWaiter(job), "FARGATE")).toMatchObject({ ok: true });
    clock.advance(50);
  }
}

afterEach(async () => {
  await store?.close();
});

describe("LaunchGate", () => {
  it("paces FARGATE launches to RunTask's 20 a second, then admits again as the bucket refills", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 10_000, perBackend: {} });
    for (let job = 1; job <= 20; job++) expect(await gate.admit(jobWaiter(job), "FARGATE")).toMatchObject({ ok: true });
    const held = await gate.admit(jobWaiter(21), "FARGATE");
    expect(held).toMatchObject({ ok: false, retryInMs: 50 });
    clock.advance(50);
    expect(await gate.admit(jobWaiter(21), "FARGATE")).toMatchObject({ ok: true });
  });

  it("paces launches of every backend together to Parameter Store's 20 puts a second (half its 40 TPS)", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 10_000, perBackend: {} });
    // Fargate alone may take 20 now (RunTask's burst), CodeBuild alone 20 (StartBuild's): together each launch also
    // writes its runner's JIT parameter, and the SSM bucket holds 20.
    for (let job = 1; job <= 10; job++) expect(await gate.admit(jobWaiter(job), "FARGATE")).toMatchObject({ ok: true });
    for (let job = 11; job <= 20; job++) expect(await gate.admit(jobWaiter(job), "CODEBUILD")).toMatchObject({ ok: true });
    expect(await gate.admit(jobWaiter(21), "CODEBUILD")).toMatchObject({ ok: false, retryInMs: 50, reason: expect.stringMatching(/quotas/) });
    clock.advance(50);
    expect(await gate.admit(jobWaiter(21), "CODEBUILD")).toMatchObject({ ok: true });
  });

  it("paces handoffs to standbys with launches (a JIT config and a parameter each), whatever the runner limit", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    // No room for a runner at all: a handoff starts none, so only the pacing applies to it.
    const gate = new LaunchGate(store, clock, { maxRunners: 0, perBackend: {} });
    for (let i = 0; i < 20; i++) expect(gate.paceHandoff()).toBe(0);
    expect(gate.paceHandoff()).toBe(50);
    clock.advance(50);
    expect(gate.paceHandoff()).toBe(0);
    // Launches share the Parameter Store bucket with handoffs.
    const full = new LaunchGate(store, clock, { maxRunners: 10_000, perBackend: {} });
    for (let i = 0; i < 20; i++) full.paceHandoff();
    expect(await full.admit(jobWaiter(1), "FARGATE")).toMatchObject({ ok: false, reason: expect.stringMatching(/quotas/) });
  });

  it("holds jobs beyond the runner limit, and admits the oldest first when a runner frees", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 2, perBackend: {} });
    for (const jobId of [1, 2]) await startRunner(gate, jobId, "CODEBUILD");
    expect(await gate.admit(jobWaiter(3), "CODEBUILD")).toMatchObject({ ok: false, reason: expect.stringMatching(/limit of 2/) });
    clock.advance(1000);
    expect(await gate.admit(jobWaiter(4), "CODEBUILD")).toMatchObject({ ok: false });
    // Job 1's runner finishes: the oldest waiter (3) goes first, the newer one (4) keeps waiting.
    const l1 = (await store.listLaunches(1))[0]!;
    await store.updateLaunch(l1.id, l1.version, { state: "stopped" });
    expect(await gate.admit(jobWaiter(4), "CODEBUILD")).toMatchObject({ ok: false, reason: expect.stringMatching(/older jobs/) });
    expect(await gate.admit(jobWaiter(3), "CODEBUILD")).toMatchObject({ ok: true });
  });

  it("applies a per-backend limit without holding other backends", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 100, perBackend: { FARGATE_SPOT: 1 } });
    await store.putLaunch({ jobId: 1, attempt: 1, backend: "FARGATE_SPOT", arch: "X86_64", runnerName: "tornade-1-1", requestedAt: clock.now(), state: "launched" });
    expect(await gate.admit(jobWaiter(2), "FARGATE_SPOT")).toMatchObject({ ok: false });
    expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: true });
  });
  it("keeps the place of a job that asks for longer than the waiter TTL: first come, first served", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 2, perBackend: {} });
    for (const jobId of [1, 2]) await startRunner(gate, jobId, "FARGATE", clock.now());
    const held = { ok: false, reason: expect.stringMatching(/limit of 2/) };
    // Job 3 asks every 5 s from 0 s on; job 4 first asks at 18 s, then every 5 s too.
    const asks: [number, number][] = [[0, 3], [5, 3], [10, 3], [15, 3], [18, 4], [20, 3], [23, 4], [25, 3], [28, 4]];
    let now = 0;
    for (const [at, jobId] of asks) {
      clock.advance((at - now) * 1000);
      now = at;
      expect(await gate.admit(jobWaiter(jobId), "FARGATE")).toMatchObject(held);
    }
    expect(now * 1000).toBeGreaterThan(WAITER_TTL_MS);
    await finish(1);
    clock.advance(1000);
    // Job 4 happens to ask first once a runner frees: job 3, there 18 s earlier and asking all along, still goes first.
    expect(await gate.admit(jobWaiter(4), "FARGATE")).toMatchObject({ ok: false, reason: expect.stringMatching(/older jobs/) });
    expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: true });
    expect(await gate.admit(jobWaiter(4), "FARGATE")).toMatchObject(held);
  });

  it("gives the place of a waiter that stopped asking to the next one after the waiter TTL", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 1, perBackend: {} });
    await startRunner(gate, 1, "FARGATE", clock.now());
    expect(await gate.admit(jobWaiter(2), "FARGATE")).toMatchObject({ ok: false });
    clock.advance(1000);
    expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: false });
    await finish(1);
    expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: false, reason: expect.stringMatching(/older jobs/) });
    // Job 2 went quiet (its job ran elsewhere): once the TTL has passed since it last asked, job 3 is first.
    clock.advance(WAITER_TTL_MS);
    expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: true });
  });

  it("tells a waiter far back in a burst's line to look again near its turn, and keeps its place until then", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 1000, perBackend: {} });
    await fillJitWindow(gate, clock);
    const head = await gate.admit(jobWaiter(171), "FARGATE");
    const behind = await gate.admit(jobWaiter(200), "FARGATE");
    if (head.ok || behind.ok) throw new Error("the window is full: both must wait");
    // The head waits for the first JIT config to leave the window; the one behind it for the second.
    expect(head.retryInMs).toBe(60_000 - 170 * 50);
    expect(behind).toMatchObject({ retryInMs: head.retryInMs + 50, reason: expect.stringMatching(/older jobs/) });
    expect(behind.retryInMs).toBeGreaterThan(WAITER_TTL_MS);
    clock.advance(head.retryInMs);
    expect(await gate.admit(jobWaiter(171), "FARGATE")).toMatchObject({ ok: true });
    // A newcomer asks first when the next place frees: job 200, silent since it was told when to look, goes first.
    clock.advance(50);
    expect(await gate.admit(jobWaiter(300), "FARGATE")).toMatchObject({ ok: false, reason: expect.stringMatching(/older jobs/) });
    expect(await gate.admit(jobWaiter(200), "FARGATE")).toMatchObject({ ok: true });
  });

  it("lets a waiter leave the line at once", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 1, perBackend: {} });
    await startRunner(gate, 1, "FARGATE", clock.now());
    expect(await gate.admit("pool:FARGATE/X86_64", "FARGATE")).toMatchObject({ ok: false });
    expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: false });
    await finish(1);
    gate.leave("pool:FARGATE/X86_64", "FARGATE");
    expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: true });
  });

  it("lets a job leave without naming its line: one told to look again far ahead no longer holds the head", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 1000, perBackend: {} });
    await fillJitWindow(gate, clock);
    const head = await gate.admit(jobWaiter(171), "FARGATE");
    if (head.ok) throw new Error("the window is full");
    expect(await gate.admit(jobWaiter(172), "FARGATE")).toMatchObject({ ok: false, reason: expect.stringMatching(/older jobs/) });
    // Job 171's runner is no longer needed (a sibling's took its job): its look says so, knowing no backend.
    gate.leave(jobWaiter(171));
    clock.advance(head.retryInMs);
    expect(await gate.admit(jobWaiter(172), "FARGATE")).toMatchObject({ ok: true });
  });

  it("counts admitted launches whose rows are not written yet, so a burst admitted at once cannot overshoot", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 2, perBackend: { CODEBUILD: 1 } });
    const first = await gate.admit(jobWaiter(1), "FARGATE");
    const second = await gate.admit(jobWaiter(2), "CODEBUILD");
    expect([first.ok, second.ok]).toEqual([true, true]);
    // Neither has written its launch row yet: the limits are reached all the same.
    expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: false, reason: expect.stringMatching(/2 runners at the limit of 2/) });
    if (first.ok) first.recorded();
    expect(await gate.admit(jobWaiter(4), "CODEBUILD")).toMatchObject({ ok: false, reason: expect.stringMatching(/1 CODEBUILD runners at its limit of 1/) });
    // A start that ended without a row (GitHub says the job is gone) frees its place; recorded() twice changes nothing.
    if (second.ok) {
      second.recorded();
      second.recorded();
    }
    expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: true });
  });

  it("admits only one of two launches asking at the same moment for the last place", async () => {
    const clock = manualClock();
    store = sqliteStore(":memory:", clock);
    const gate = new LaunchGate(store, clock, { maxRunners: 1, perBackend: {} });
    // Two backends, so that neither waits behind the other in a line: only the limit can hold one back.
    const both = await Promise.all([gate.admit(jobWaiter(1), "FARGATE"), gate.admit(jobWaiter(2), "CODEBUILD")]);
    expect(both.map((a) => a.ok).sort()).toEqual([false, true]);
    expect(both.find((a) => !a.ok)).toMatchObject({ reason: expect.stringMatching(/1 runners at the limit of 1/) });
  });

  it("goes on counting an admitted launch for a count of the store asked for before its row was written", async () => {
    const clock = manualClock();
    const sqlite = (store = sqliteStore(":memory:", clock));
    // The store's answer as a remote store gives it: read at once, delivered later (here, when the test says).
    let deliver = () => {};
    let delayed: Promise<void> = Promise.resolve();
    const remote = {
      async countActiveLaunches(filter?: { backend?: Backend }) {
        const n = await sqlite.countActiveLaunches(filter);
        await delayed;
        return n;
      },
    };
    const gate = new LaunchGate(remote, clock, { maxRunners: 1, perBackend: {} });
    const first = await gate.admit(jobWaiter(1), "FARGATE");
    if (!first.ok) throw new Error("the first launch was held");
    delayed = new Promise((resolve) => (deliver = resolve));
    // Job 2's count reads no rows; job 1's row is written and recorded before that answer arrives.
    const second = gate.admit(jobWaiter(2), "CODEBUILD");
    await sqlite.putLaunch({ jobId: 1, attempt: 1, backend: "FARGATE", arch: "X86_64", runnerName: "tornade-1-1", requestedAt: clock.now(), state: "requested" });
    first.recorded();
    deliver();
    expect(await second).toMatchObject({ ok: false, reason: expect.stringMatching(/1 runners at the limit of 1/) });
    // A count asked for now sees the row itself: still one, not two.
    delayed = Promise.resolve();
    expect(await gate.admit(jobWaiter(2), "CODEBUILD")).toMatchObject({ ok: false, reason: expect.stringMatching(/1 runners at the limit of 1/) });
  });
});
