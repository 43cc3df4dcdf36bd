import { describe, expect, it } from "vitest";
import {
  classifyRunners,
  labelSetKey,
  runnersInDoubt,
  scopeKey,
  type HeldRunner,
  type RegisteredRunner,
  type RunnerFacts,
  type RunnerJob,
} from "./runners.js";

const policy = { idleTimeoutMs: 300_000 };
const now = 10_000_000;
const SCOPE = scopeKey("repo", "octo", "widgets");
const LABELS = ["self-hosted", "tornade", "runs-on=FARGATE"];

const held = (over: Partial<HeldRunner> = {}): HeldRunner => ({
  launchId: "42-2",
  jobId: 42,
  runnerName: "tornade-42-2",
  launchedAt: now - 600_000,
  taken: false,
  ...over,
});
/** Job 42 ran on its other runner (tornade-42-1): the runner under test, tornade-42-2, is a spare. */
const job = (over: Partial<RunnerJob> = {}): RunnerJob => ({
  id: 42,
  status: "completed",
  runnerName: "tornade-42-1",
  labels: LABELS,
  served: true,
  scope: SCOPE,
  ...over,
});
const runner = (over: Partial<RegisteredRunner> = {}): RegisteredRunner => ({ id: 7, name: "tornade-42-2", status: "online", busy: false, ...over });

/** Facts with the job loaded and the scope listed; `over` replaces whole fields. */
function facts(over: Partial<RunnerFacts> = {}): RunnerFacts {
  return {
    held: [held()],
    queued: [],
    watched: [],
    jobs: new Map([[42, job()]]),
    listings: new Map([[SCOPE, [runner()]]]),
    found: new Map(),
    asked: new Set(),
    launchLive: new Map(),
    ...over,
  };
}

const classify = (f: RunnerFacts) => classifyRunners(f, now, policy);

describe("classifyRunners: a runner whose job went elsewhere", () => {
  it.each([
    ["its job completed on another runner", job()],
    ["its job runs on another runner", job({ status: "in_progress" })],
    ["its job was cancelled before any runner took it", job({ runnerName: null })],
    ["its job is one tornade no longer serves (GitHub does not know it)", job({ status: "queued", runnerName: null, served: false })],
  ])("is released when idle past the timeout: %s", (_, j) => {
    const plan = classify(facts({ jobs: new Map([[42, j]]) }));
    expect(plan.looks).toEqual([]);
    expect(plan.actions).toEqual([{ kind: "release", launchId: "42-2", jobId: 42, scope: SCOPE, runner: runner() }]);
  });

  it.each([
    ["still within the idle timeout", facts({ held: [held({ launchedAt: now - 299_999 })] }), "starting"],
    ["never launched (no provider answer)", facts({ held: [held({ launchedAt: null })] }), "starting"],
    ["taken by another job", facts({ held: [held({ taken: true })] }), "taken"],
    ["launched for a job tornade has no record of", facts({ jobs: new Map([[42, null]]) }), "job-unknown"],
    ["the runner its own job ran on", facts({ jobs: new Map([[42, job({ runnerName: "tornade-42-2" })]]) }), "own-job"],
    ["its own job is waiting for approval", facts({ jobs: new Map([[42, job({ status: "waiting", runnerName: null })]]) }), "own-job"],
    ["GitHub says it is busy", facts({ listings: new Map([[SCOPE, [runner({ busy: true })]]]) }), "busy"],
  ])("is left alone when %s", (_, f, why) => {
    const plan = classify(f);
    expect(plan.looks).toEqual([]);
    expect(plan.actions).toEqual([{ kind: "leave", launchId: "42-2", why }]);
  });

  it("is kept while another queued job has its labels (in any case and order); its own queued record does not count", () => {
    const needed = classify(facts({ queued: [{ id: 43, labels: [...LABELS].reverse().map((l) => l.toUpperCase()) }] }));
    expect(needed.actions).toEqual([{ kind: "leave", launchId: "42-2", why: "needed" }]);
    // Job 42 read as queued when the round began, settled since (GitHub did not know it): it needs no runner.
    const settled = facts({ queued: [{ id: 42, labels: LABELS }], jobs: new Map([[42, job({ status: "queued", runnerName: null, served: false })]]) });
    expect(classify(settled).actions[0]).toMatchObject({ kind: "release" });
  });

  it("missing from the listing is looked up by name: released if GitHub has none, left if it is busy", () => {
    const unlisted = facts({ listings: new Map([[SCOPE, []]]) });
    expect(classify(unlisted).looks).toEqual([{ kind: "find-runner", scope: SCOPE, name: "tornade-42-2" }]);
    expect(classify(unlisted).actions).toEqual([]);
    const gone = classify({ ...unlisted, found: new Map([["tornade-42-2", null]]) });
    expect(gone.actions).toEqual([{ kind: "release", launchId: "42-2", jobId: 42, scope: SCOPE, runner: null }]);
    const busy = classify({ ...unlisted, found: new Map([["tornade-42-2", runner({ busy: true })]]) });
    expect(busy.actions).toEqual([{ kind: "leave", launchId: "42-2", why: "busy" }]);
  });
});

describe("classifyRunners: what it must look up first", () => {
  it("loads the job only of a runner idle past the timeout and not taken", () => {
    const f = facts({
      held: [held(), held({ launchId: "50-1", jobId: 50, runnerName: "tornade-50-1", launchedAt: now - 1000 }), held({ launchId: "51-1", jobId: 51, runnerName: "tornade-51-1", taken: true })],
      jobs: new Map(),
      listings: new Map(),
    });
    expect(classify(f).looks).toEqual([{ kind: "load-job", jobId: 42 }]);
  });

  it("lists a scope once, however many runners live there", () => {
    const f = facts({
      held: [held(), held({ launchId: "43-1", jobId: 43, runnerName: "tornade-43-1" })],
      jobs: new Map([
        [42, job()],
        [43, job({ id: 43, runnerName: "tornade-43-9" })],
      ]),
      listings: new Map(),
    });
    expect(classify(f).looks).toEqual([{ kind: "list-runners", scope: SCOPE }]);
  });

  it("lists the watched scopes even with no runner held, for abandoned registrations", () => {
    const other = scopeKey("repo", "octo", "other");
    expect(classify(facts({ held: [], watched: [SCOPE, other], listings: new Map([[SCOPE, []]]) })).looks).toEqual([{ kind: "list-runners", scope: other }]);
  });

  it("is done once nothing is left to look up: every pass adds facts", () => {
    let f = facts({ jobs: new Map(), listings: new Map(), watched: [SCOPE] });
    const passes: string[][] = [];
    for (let plan = classify(f); plan.looks.length > 0; plan = classify(f)) {
      passes.push(plan.looks.map((l) => l.kind));
      for (const look of plan.looks) {
        if (look.kind === "load-job") f = { ...f, jobs: new Map([[42, job()]]) };
        if (look.kind === "list-runners") f = { ...f, listings: new Map([[SCOPE, [runner()]]]) };
      }
    }
    expect(passes).toEqual([["load-job", "list-runners"]]);
    expect(classify(f).actions).toEqual([{ kind: "release", launchId: "42-2", jobId: 42, scope: SCOPE, runner: runner() }]);
  });
});

describe("classifyRunners: a runner whose job still looks queued", () => {
  const queuedJob = job({ status: "queued", runnerName: null });
  const doubtful = facts({ jobs: new Map([[42, queuedJob]]), queued: [{ id: 42, labels: LABELS }] });

  it("is up and idle long after launch: GitHub is asked about the job (its later webhooks may be lost)", () => {
    const plan = classify(doubtful);
    expect(plan.looks).toEqual([{ kind: "ask-about-job", jobId: 42 }]);
    expect(plan.actions).toEqual([]);
  });

  it("is left alone, without asking, when its job is a scale set's: GitHub's REST API does not know it by that id", () => {
    const ssJob = job({ id: -42, status: "queued", runnerName: null });
    const plan = classify({ ...doubtful, held: [held({ jobId: -42 })], jobs: new Map([[-42, ssJob]]), queued: [{ id: -42, labels: LABELS }] });
    expect(plan.looks).toEqual([]);
    expect(plan.actions).toEqual([{ kind: "leave", launchId: "42-2", why: "job-queued" }]);
  });

  it.each([
    ["not up yet", runner({ status: "offline" })],
    ["busy", runner({ busy: true })],
  ])("is left alone, without asking, when its runner is %s", (_, r) => {
    const plan = classify({ ...doubtful, listings: new Map([[SCOPE, [r]]]) });
    expect(plan.looks).toEqual([]);
    expect(plan.actions).toEqual([{ kind: "leave", launchId: "42-2", why: "job-queued" }]);
  });

  it.each([
    ["offline (its config never reached it, or it died first)", [runner({ status: "offline" })], runner({ status: "offline" })],
    ["not registered at all", [], null],
  ])("is released when it is a standby handed the job's config and still %s past the idle timeout", (_, listing, seen) => {
    const handedOff = { ...doubtful, held: [held({ handoff: true })], listings: new Map([[SCOPE, listing]]) };
    // Missing from the listing: looked up by name before anything is done.
    const found = seen === null ? new Map([["tornade-42-2", null]]) : new Map();
    if (seen === null) expect(classify(handedOff).looks).toEqual([{ kind: "find-runner", scope: SCOPE, name: "tornade-42-2" }]);
    const plan = classify({ ...handedOff, found });
    expect(plan.looks).toEqual([]);
    expect(plan.actions).toEqual([{ kind: "release", launchId: "42-2", jobId: 42, scope: SCOPE, runner: seen, forJob: true }]);
  });

  it("leaves a handed-off standby alone while it is young, or busy", () => {
    const young = { ...doubtful, held: [held({ handoff: true, launchedAt: now - 60_000 })], listings: new Map([[SCOPE, [runner({ status: "offline" })]]]) };
    expect(classify(young).actions).toEqual([{ kind: "leave", launchId: "42-2", why: "starting" }]);
    const busy = { ...doubtful, held: [held({ handoff: true })], listings: new Map([[SCOPE, [runner({ status: "offline", busy: true })]]]) };
    expect(classify(busy).actions).toEqual([{ kind: "leave", launchId: "42-2", why: "busy" }]);
  });

  it("is asked about once a round: GitHub still says queued, so it is left", () => {
    const plan = classify({ ...doubtful, asked: new Set([42]) });
    expect(plan.looks).toEqual([]);
    expect(plan.actions).toEqual([{ kind: "leave", launchId: "42-2", why: "job-queued" }]);
  });

  it.each([
    ["completed elsewhere", job()],
    ["cancelled before any runner took it", job({ runnerName: null, status: "completed" })],
    ["unknown to GitHub, filed as no longer served", job({ status: "queued", runnerName: null, served: false })],
  ])("is released in the same round once GitHub's answer settles the job: %s", (_, answer) => {
    const plan = classify({ ...doubtful, asked: new Set([42]), jobs: new Map([[42, answer]]) });
    expect(plan.looks).toEqual([]);
    expect(plan.actions).toEqual([{ kind: "release", launchId: "42-2", jobId: 42, scope: SCOPE, runner: runner() }]);
  });

  it("a settled job is never asked about again in a later round", () => {
    const later = classify({ ...doubtful, jobs: new Map([[42, job({ status: "queued", runnerName: null, served: false })]]), queued: [] });
    expect(later.looks).toEqual([]);
    expect(later.actions[0]).toMatchObject({ kind: "release" });
  });
});

describe("classifyRunners: abandoned registrations", () => {
  const offline = (name: string, over: Partial<RegisteredRunner> = {}) => runner({ id: 9, name, status: "offline", ...over });

  it("removes an offline tornade registration no live launch stands behind, after loading its launch", () => {
    const f = facts({ held: [], watched: [SCOPE], listings: new Map([[SCOPE, [offline("tornade-999-1")]]]) });
    expect(classify(f).looks).toEqual([{ kind: "load-launch", jobId: 999, attempt: 1, runnerName: "tornade-999-1" }]);
    expect(classify({ ...f, launchLive: new Map([["tornade-999-1", false]]) }).actions).toEqual([
      { kind: "deregister", scope: SCOPE, runner: offline("tornade-999-1") },
    ]);
    expect(classify({ ...f, launchLive: new Map([["tornade-999-1", true]]) }).actions).toEqual([]);
  });

  it.each([
    ["online", offline("tornade-999-1", { status: "online" })],
    ["busy", offline("tornade-999-1", { busy: true })],
    ["not named like a job runner (a pool runner)", offline("tornade-pool-fargate-x86_64-1")],
    ["someone else's", offline("build-box-3")],
  ])("leaves a registration that is %s", (_, r) => {
    const plan = classify(facts({ held: [], watched: [SCOPE], listings: new Map([[SCOPE, [r]]]) }));
    expect(plan).toEqual({ looks: [], actions: [], idleFrom: null });
  });

  it("a held runner still booting is not abandoned, and needs no launch read", () => {
    const plan = classify(facts({ held: [held({ launchedAt: now - 1000 })], watched: [SCOPE], listings: new Map([[SCOPE, [offline("tornade-42-2")]]]) }));
    expect(plan.looks).toEqual([]);
    expect(plan.actions).toEqual([{ kind: "leave", launchId: "42-2", why: "starting" }]);
  });
});

describe("when a round could find work", () => {
  it("is the earliest moment a starting, untaken runner passes the idle timeout", () => {
    const plan = classify(
      facts({
        held: [held({ launchedAt: now - 1000 }), held({ launchId: "43-1", launchedAt: now - 5000 }), held({ launchId: "44-1", launchedAt: now - 9000, taken: true })],
      }),
    );
    expect(plan.idleFrom).toBe(now - 5000 + policy.idleTimeoutMs);
  });

  it("runners in doubt (kept for a queued job, waiting on GitHub, busy) call for a round soon; settled ones do not", () => {
    expect(runnersInDoubt(classify(facts({ queued: [{ id: 43, labels: LABELS }] })))).toBe(true);
    expect(runnersInDoubt(classify(facts()))).toBe(true); // a release
    expect(runnersInDoubt(classify(facts({ jobs: new Map([[42, job({ runnerName: "tornade-42-2" })]]) })))).toBe(false);
    expect(runnersInDoubt(classify(facts({ held: [held({ launchedAt: now })] })))).toBe(false);
  });
});

describe("keys", () => {
  it("compares labels as GitHub does: case-insensitively, in any order", () => {
    expect(labelSetKey(["Self-Hosted", "tornade"])).toBe(labelSetKey(["tornade", "self-hosted"]));
    expect(labelSetKey(["a"])).not.toBe(labelSetKey(["a", "b"]));
  });

  it("names a repository's runners apart from its organization's", () => {
    expect(scopeKey("repo", "Octo", "Widgets")).toBe("repo:octo/widgets");
    expect(scopeKey("org", "Octo", "Widgets")).toBe("org:octo");
  });
});
