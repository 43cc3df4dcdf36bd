import { describe, expect, it } from "vitest";
import { interpretLabels, type LabelPolicy } from "./labels.js";
import { parseWindow } from "./pool.js";
import { decide, defaultReconcilePolicy, type JobView, type LaunchView } from "./reconcile.js";
import {
  attemptRunner,
  desiredStandbys,
  judgeClaim,
  planStandbys,
  standbyCandidates,
  standbyName,
  standbyShapeKey,
  standbyShapeLabels,
  STOP_AGAIN_MS,
  stopOverdue,
  type StandbyPolicy,
  type StandbyRole,
  type StandbyShape,
  type StandbyTarget,
  type StandbyView,
} from "./standby.js";
import type { LaunchSpec } from "./types.js";

const labelPolicy: LabelPolicy = { launchLabel: "tornade", defaultBackend: "FARGATE", images: ["default", "big"] };

function specOf(labels: string[]): LaunchSpec {
  const v = interpretLabels(labels, labelPolicy);
  if (v.kind !== "launch") throw new Error(`labels ${labels.join(",")} do not launch: ${JSON.stringify(v)}`);
  return v.spec;
}

const shapeSpec = (shape: StandbyShape) => specOf(standbyShapeLabels("tornade", shape));
const FARGATE_X86 = standbyShapeKey(shapeSpec({ backend: "FARGATE", arch: "X86_64" }));
const SPOT_ARM = standbyShapeKey(shapeSpec({ backend: "FARGATE_SPOT", arch: "ARM64" }));

describe("standby shapes", () => {
  it("gives a job the shape of the standby its labels resolve to, whatever its other labels", () => {
    const job = specOf(["self-hosted", "tornade", "runs-on=fargate", "arch=x64", "run-1234"]);
    expect(standbyShapeKey(job)).toBe(FARGATE_X86);
  });

  it.each([
    ["a size preset and the cpu/memory it stands for, on Fargate", { backend: "FARGATE", arch: "X86_64", size: "medium" }, ["runs-on=FARGATE", "cpu=4", "memory=8192"], true],
    ["another arch", { backend: "FARGATE", arch: "X86_64" }, ["runs-on=FARGATE", "arch=ARM64"], false],
    ["another backend", { backend: "FARGATE", arch: "X86_64" }, ["runs-on=FARGATE_SPOT"], false],
    ["another image", { backend: "FARGATE", arch: "X86_64" }, ["image=big"], false],
    ["a bigger disk", { backend: "FARGATE", arch: "X86_64" }, ["disk=50"], false],
    ["the same CodeBuild compute type", { backend: "CODEBUILD", arch: "ARM64", size: "large" }, ["runs-on=CODEBUILD", "arch=aarch64", "size=large"], true],
    ["another CodeBuild compute type", { backend: "CODEBUILD", arch: "ARM64", size: "large" }, ["runs-on=CODEBUILD", "arch=ARM64"], false],
  ] as const)("%s: same shape = %s", (_, shape, jobLabels, same) => {
    const job = specOf(["self-hosted", "tornade", ...jobLabels]);
    expect(standbyShapeKey(job) === standbyShapeKey(shapeSpec(shape))).toBe(same);
  });

  it("keeps a job bound for a CodeBuild fleet off the standbys of its compute type", () => {
    const build = shapeSpec({ backend: "CODEBUILD", arch: "X86_64" });
    expect(standbyShapeKey({ ...build, fleet: "reserved" })).not.toBe(standbyShapeKey(build));
  });

  it("names a standby after its row's number, never like a job's runner", () => {
    expect(standbyName(1733400000000)).toBe("tornade-standby-1733400000000");
  });
});

const policy: StandbyPolicy = { maxIdleMs: 30 * 60_000, bootTimeoutMs: 10 * 60_000, maxLaunchesPerRound: 20 };
const NOW = Date.UTC(2024, 0, 15, 12, 0); // a Monday, 12:00 UTC
const min = 60_000;

const target = (shape: string, count: number, windows?: string[]): StandbyTarget => ({
  shape,
  spec: { backend: "FARGATE", arch: "X86_64", image: "default", runnerLabels: [] },
  count,
  ...(windows ? { schedule: { timeZone: "UTC", windows: windows.map(parseWindow) } } : {}),
});

let seq = 0;
/** A free standby of `shape` launched `ageMin` minutes ago; running unless said otherwise. */
const sb = (shape: string, ageMin: number, over: Partial<StandbyView> = {}): StandbyView => ({
  id: `0-${++seq}`,
  shape,
  state: "running",
  status: "free",
  requestedAt: NOW - ageMin * min,
  startedAt: NOW - ageMin * min + 40_000,
  ...over,
});
const booting = (shape: string, ageMin: number) => sb(shape, ageMin, { state: "launched", startedAt: null });

describe("desiredStandbys", () => {
  it("keeps the count inside the schedule and none outside", () => {
    expect(desiredStandbys(target(FARGATE_X86, 3), NOW)).toBe(3);
    expect(desiredStandbys(target(FARGATE_X86, 3, ["Mon-Fri 08:00-20:00"]), NOW)).toBe(3);
    expect(desiredStandbys(target(FARGATE_X86, 3, ["Sat,Sun 08:00-20:00"]), NOW)).toBe(0);
  });
});

describe("planStandbys", () => {
  it("launches the missing standbys of each shape", () => {
    const plan = planStandbys([target(FARGATE_X86, 2), target(SPOT_ARM, 1)], [sb(FARGATE_X86, 1)], NOW, policy);
    expect(plan.launch).toEqual([
      { shape: FARGATE_X86, count: 1 },
      { shape: SPOT_ARM, count: 1 },
    ]);
    expect(plan.retire).toEqual([]);
    expect(plan.shapes).toEqual([
      { shape: FARGATE_X86, desired: 2, booting: 0, waiting: 1, retiring: 0 },
      { shape: SPOT_ARM, desired: 1, booting: 0, waiting: 0, retiring: 0 },
    ]);
  });

  it("counts booting standbys as coming, and launches nothing more for them", () => {
    const plan = planStandbys([target(FARGATE_X86, 2)], [sb(FARGATE_X86, 5), booting(FARGATE_X86, 1)], NOW, policy);
    expect(plan.launch).toEqual([]);
    expect(plan.shapes[0]).toMatchObject({ booting: 1, waiting: 1 });
  });

  it("replaces a claimed standby at once: a claimed one is a job's runner, not in the view", () => {
    // The claim closed its row, so the round sees one standby fewer (as after a Spot interruption or a crash).
    const plan = planStandbys([target(FARGATE_X86, 2)], [sb(FARGATE_X86, 3)], NOW, policy);
    expect(plan.launch).toEqual([{ shape: FARGATE_X86, count: 1 }]);
  });

  it("retires a standby that never came up, and replaces it", () => {
    const stuck = booting(FARGATE_X86, 11);
    const plan = planStandbys([target(FARGATE_X86, 1)], [stuck], NOW, policy);
    expect(plan.retire).toEqual([{ id: stuck.id, why: "stale" }]);
    expect(plan.launch).toEqual([{ shape: FARGATE_X86, count: 1 }]);
  });

  it("recycles an aged standby make-before-break: kept while its replacement boots, retired once it waits", () => {
    const aged = sb(FARGATE_X86, 31);
    const first = planStandbys([target(FARGATE_X86, 1)], [aged], NOW, policy);
    expect(first.launch).toEqual([{ shape: FARGATE_X86, count: 1 }]);
    expect(first.retire).toEqual([]);

    const whileBooting = planStandbys([target(FARGATE_X86, 1)], [aged, booting(FARGATE_X86, 0)], NOW, policy);
    expect(whileBooting.launch).toEqual([]);
    expect(whileBooting.retire).toEqual([]);

    const replaced = planStandbys([target(FARGATE_X86, 1)], [aged, sb(FARGATE_X86, 1)], NOW, policy);
    expect(replaced.launch).toEqual([]);
    expect(replaced.retire).toEqual([{ id: aged.id, why: "idle-age" }]);
  });

  it("retires an aged standby whose replacement never came, a boot timeout after its idle age", () => {
    const overstayed = sb(FARGATE_X86, 41);
    const plan = planStandbys([target(FARGATE_X86, 1)], [overstayed, booting(FARGATE_X86, 2)], NOW, policy);
    expect(plan.retire).toEqual([{ id: overstayed.id, why: "idle-age" }]);
  });

  it("retires the surplus when the count shrinks: booting ones first, then the newest waiting", () => {
    const old = sb(FARGATE_X86, 20);
    const young = sb(FARGATE_X86, 2);
    const boot = booting(FARGATE_X86, 1);
    const plan = planStandbys([target(FARGATE_X86, 1)], [old, young, boot], NOW, policy);
    expect(plan.retire).toEqual([
      { id: boot.id, why: "surplus" },
      { id: young.id, why: "surplus" },
    ]);
    expect(plan.shapes[0]).toMatchObject({ desired: 1, waiting: 1, booting: 0, retiring: 2 });
  });

  it("retires every standby of a shape out of its schedule or no longer configured", () => {
    const a = sb(FARGATE_X86, 2);
    const b = sb(SPOT_ARM, 2);
    const plan = planStandbys([target(FARGATE_X86, 1, ["Sat 00:00-24:00"])], [a, b], NOW, policy);
    expect(plan.retire).toEqual([
      { id: a.id, why: "surplus" },
      { id: b.id, why: "surplus" },
    ]);
    expect(plan.launch).toEqual([]);
  });

  it("does not retire twice a standby already retiring, but counts it", () => {
    const going = sb(FARGATE_X86, 40, { status: "retired" });
    const plan = planStandbys([target(FARGATE_X86, 1)], [going], NOW, policy);
    expect(plan.retire).toEqual([]);
    expect(plan.launch).toEqual([{ shape: FARGATE_X86, count: 1 }]);
    expect(plan.shapes[0]).toMatchObject({ waiting: 0, booting: 0, retiring: 1 });
  });

  it("launches no more per round than the policy allows, over all shapes", () => {
    const plan = planStandbys([target(FARGATE_X86, 15), target(SPOT_ARM, 10)], [], NOW, policy);
    expect(plan.launch).toEqual([
      { shape: FARGATE_X86, count: 15 },
      { shape: SPOT_ARM, count: 5 },
    ]);
  });

  it("adds up two entries of the same shape", () => {
    const plan = planStandbys([target(FARGATE_X86, 1), target(FARGATE_X86, 2)], [], NOW, policy);
    expect(plan.launch).toEqual([{ shape: FARGATE_X86, count: 3 }]);
  });
});

describe("standbyCandidates", () => {
  it("offers running standbys of the job's shape first, longest waiting first, then booting ones, earliest first", () => {
    const waitingYoung = sb(FARGATE_X86, 2);
    const waitingOld = sb(FARGATE_X86, 9);
    const bootOld = booting(FARGATE_X86, 3);
    const bootYoung = booting(FARGATE_X86, 1);
    const got = standbyCandidates(FARGATE_X86, [bootYoung, waitingYoung, sb(SPOT_ARM, 20), bootOld, waitingOld], NOW, policy);
    expect(got.map((s) => s.id)).toEqual([waitingOld.id, waitingYoung.id, bootOld.id, bootYoung.id]);
  });

  it("offers no standby that is claimed, retiring, or stuck booting: the job launches cold", () => {
    const got = standbyCandidates(
      FARGATE_X86,
      [sb(FARGATE_X86, 1, { status: "claimed" }), sb(FARGATE_X86, 1, { status: "retired" }), booting(FARGATE_X86, 11)],
      NOW,
      policy,
    );
    expect(got).toEqual([]);
  });

  it("offers an aged standby still waiting for its replacement: it is as warm as any", () => {
    const aged = sb(FARGATE_X86, 35);
    expect(standbyCandidates(FARGATE_X86, [aged], NOW, policy)).toEqual([aged]);
  });
});

describe("judgeClaim", () => {
  const lease = 150_000;
  const claimedAt = NOW - lease;
  it.each([
    ["a fresh claim, whatever its job's row says", NOW - 1_000, undefined, { kind: "wait", until: NOW - 1_000 + lease }],
    ["no launch row: the claimant died before writing it", claimedAt, undefined, { kind: "release" }],
    ["the attempt's row names another standby: this claim lost the race", claimedAt, { handoffFrom: "0-8", state: "launched" }, { kind: "release" }],
    ["the attempt launched cold", claimedAt, { handoffFrom: null, state: "launched" }, { kind: "release" }],
    ["handed off, this row not closed yet", claimedAt, { handoffFrom: "0-7", state: "launched" }, { kind: "close" }],
    ["handed off and running", claimedAt, { handoffFrom: "0-7", state: "running" }, { kind: "close" }],
    ["handed off, already ended", claimedAt, { handoffFrom: "0-7", state: "stopped" }, { kind: "close" }],
    ["abandoned after the config may have been written", claimedAt, { handoffFrom: "0-7", state: "failed" }, { kind: "retire" }],
    ["still requested past the lease", claimedAt, { handoffFrom: "0-7", state: "requested" }, { kind: "retire" }],
  ] as const)("%s", (_, at, launch, verdict) => {
    expect(judgeClaim("0-7", at, launch, NOW, lease)).toEqual(verdict);
  });
});

describe("attemptRunner: the runner a handed-off attempt ran on, as its re-run reads it", () => {
  const spec = specOf(["self-hosted", "tornade", "runs-on=FARGATE_SPOT"]);
  // The standby's task ran the job (tornade-42-1) and was Spot-interrupted: its row, claimed for the attempt, says so.
  const standby = {
    id: "0-7",
    attempt: 7,
    backend: "FARGATE_SPOT",
    state: "stopped",
    providerId: "arn:aws:ecs:task/7",
    requestedAt: NOW - 600_000,
    launchedAt: NOW - 599_000,
    startedAt: NOW - 500_000,
    stoppedAt: NOW - 5_000,
    spotInterrupted: true,
    outcome: { kind: "spot-interrupted", checked: false, reason: "Your Spot Task was interrupted." },
  } as const satisfies LaunchView & { id: string };
  const handed = { attempt: 1, backend: "FARGATE_SPOT", runnerName: "tornade-42-1", requestedAt: NOW - 60_000, handoffFrom: "0-7" } as const;
  const failedJob = (ranOn: LaunchView): JobView => ({ status: "completed", conclusion: "failure", decision: { kind: "launch", spec }, runnerName: "tornade-42-1", ranOn });

  it.each([
    ["its handoff failed after the config landed", { ...handed, state: "failed", providerId: null, error: { kind: "transient", message: "SSM: InternalServerError" } }],
    ["its claimant died after writing the config (a restart)", { ...handed, state: "requested", providerId: null }],
  ] as const)("reads the standby's task when the attempt's row holds none: %s — and the job is re-run", (_, own) => {
    const ran = attemptRunner(own, standby);
    expect(ran).toMatchObject({ attempt: 1, runnerName: "tornade-42-1", state: "stopped", providerId: standby.providerId, spotInterrupted: true, error: null });
    expect(decide(failedJob(ran), [own], NOW, defaultReconcilePolicy)).toMatchObject({ kind: "rerun" });
    // Read from the attempt's own row alone, the interruption is invisible: the job would be lost.
    expect(decide(failedJob(own), [own], NOW, defaultReconcilePolicy)).toMatchObject({ kind: "done" });
  });

  it("waits for the standby's task to be seen stopped when GitHub fails the job first", () => {
    const own = { ...handed, state: "failed", providerId: null } as const;
    const ran = attemptRunner(own, { ...standby, state: "running", stoppedAt: null, spotInterrupted: false, outcome: null });
    expect(decide(failedJob(ran), [own], NOW, defaultReconcilePolicy)).toMatchObject({ kind: "wait" });
  });

  it("keeps the attempt's own row once the handoff is recorded on it, and ignores a row it does not name", () => {
    const launched = { ...handed, state: "stopped", providerId: standby.providerId, spotInterrupted: false } as const;
    expect(attemptRunner(launched, standby)).toBe(launched);
    const cold = { ...handed, handoffFrom: null, state: "failed", providerId: null } as const;
    expect(attemptRunner(cold, standby)).toBe(cold);
    const other = { ...handed, handoffFrom: "0-8", state: "failed", providerId: null } as const;
    expect(attemptRunner(other, standby)).toBe(other);
    expect(attemptRunner(other, undefined)).toBe(other);
  });
});

describe("stopOverdue: a retired standby still running is stopped again only once its stop should have shown", () => {
  const role = (status: StandbyRole["status"]): StandbyRole => ({ shape: "FARGATE/X86_64", parameter: "/tornade/jit/x", status });
  it.each([
    { what: "retired just now", status: { kind: "retired", why: "surplus", at: 1_000 } as const, now: 1_000, overdue: false },
    { what: "retired a moment less than the grace ago", status: { kind: "retired", why: "stale", at: 1_000 } as const, now: 1_000 + STOP_AGAIN_MS - 1, overdue: false },
    { what: "retired the grace ago", status: { kind: "retired", why: "idle-age", at: 1_000 } as const, now: 1_000 + STOP_AGAIN_MS, overdue: true },
    { what: "free, however old", status: { kind: "free" } as const, now: 10 * STOP_AGAIN_MS, overdue: false },
  ])("$what → $overdue", ({ status, now, overdue }) => {
    expect(stopOverdue(role(status), now)).toBe(overdue);
  });
  it("is false for a row that is no standby", () => {
    expect(stopOverdue(null, 10 * STOP_AGAIN_MS)).toBe(false);
  });
});
