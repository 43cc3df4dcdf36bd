/**
 * takeIn on a real SQLite store and queue: a job that started on a runner tornade launched for another job is stored
 * with what it saw, and nothing of the other job is read or written at intake; the worker's recordTaking marks the
 * other job's launch from the queued observation — for a job tornade refuses too, which it never stores.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { runnerName } from "../core/reconcile.js";
import { silentLogger } from "../log/logger.js";
import { sqliteQueue } from "../queue/sqlite-queue.js";
import { sqliteIntake } from "../store/intake.js";
import { openSqlite } from "../store/sqlite.js";
import { sqliteStore } from "../store/sqlite-store.js";
import { noopObserver } from "./observer.js";
import { createTakeIn } from "./take-in.js";
import { recordTaking } from "./taking.js";
import { TAKEN, takingOf } from "./work-items.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-take-in-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function rig() {
  const clock = scaledClock(1);
  const db = openSqlite(join(dir, `take-in-${n++}.db`));
  const store = sqliteStore(db, clock);
  const queue = sqliteQueue(db, clock);
  let violations = 0;
  const observer = { ...noopObserver, policyViolation: () => void violations++ };
  const policy = { launchLabel: "tornade", defaultBackend: "FARGATE" as const, images: ["default"], allowedRepositories: ["acme/app"] };
  const takeIn = createTakeIn({ intake: sqliteIntake(store, queue), store, policy, clock, logger: silentLogger, observer });
  const deps = { store, queue, logger: silentLogger, observer };
  return { clock, store, queue, takeIn, deps, policy, violations: () => violations };
}

let guid = 0;
function delivery(id: number, status: "queued" | "in_progress", runner: string | null, repo = "app") {
  const payload = {
    action: status,
    workflow_job: { id, run_id: 500, run_attempt: 1, name: "build", labels: ["self-hosted", "tornade"], status, conclusion: null, head_sha: "abc", runner_name: runner },
    repository: { id: 1, name: repo, full_name: `acme/${repo}`, owner: { login: "acme" }, private: true },
    installation: { id: 9 },
  };
  return { kind: "webhook" as const, event: "workflow_job", guid: `00000000-0000-4000-8000-${String(++guid).padStart(12, "0")}`, payload };
}

describe("takeIn", () => {
  it("stores a job seen on a sibling's runner without touching the sibling; recordTaking marks it from the queued observation", async () => {
    const r = rig();
    expect(await r.takeIn(delivery(1, "queued", null))).toMatchObject({ kind: "taken-in", jobId: 1, decision: "launch", stored: "created" });
    await r.store.putLaunch({ jobId: 1, attempt: 1, backend: "FARGATE", arch: "X86_64", runnerName: runnerName(1, 1), requestedAt: r.clock.now() });
    const before = await r.store.getLaunch("1-1");

    expect(await r.takeIn(delivery(2, "in_progress", runnerName(1, 1)))).toMatchObject({ kind: "taken-in", jobId: 2, stored: "created" });
    expect(await r.store.getLaunch("1-1")).toEqual(before);
    expect((await r.store.getJob(2))?.runnerName).toBe(runnerName(1, 1));
    const items = await r.queue.receive(10, 60_000);
    const taken = items.filter((i) => i.kind === TAKEN);
    // Done with them, as a worker would be (a key in flight is not leased again).
    for (const i of items) await r.queue.ack(i.receiptHandle);
    expect(taken.map((i) => takingOf(i.payload))).toEqual([{ runnerName: runnerName(1, 1), jobId: 2, repository: "acme/app", refusal: null }]);

    await recordTaking(r.deps, takingOf(taken[0]!.payload)!);
    expect((await r.store.getLaunch("1-1"))?.outcome).toEqual({ kind: "taken", jobId: 2, refused: null });
    expect((await r.queue.receive(10, 60_000)).map((i) => i.key)).toContain("job:1");
    expect(r.violations()).toBe(0);
  });

  it("keeps nothing of a job tornade refuses but the taking, and counts its violation once", async () => {
    const r = rig();
    await r.takeIn(delivery(1, "queued", null));
    await r.store.putLaunch({ jobId: 1, attempt: 1, backend: "FARGATE", arch: "X86_64", runnerName: runnerName(1, 1), requestedAt: r.clock.now() });
    await r.queue.receive(10, 60_000);

    expect(await r.takeIn(delivery(3, "in_progress", runnerName(1, 1), "outside"))).toEqual({ kind: "foreign", jobId: 3 });
    expect(await r.store.getJob(3)).toBeUndefined();
    const [item] = (await r.queue.receive(10, 60_000)).filter((i) => i.kind === TAKEN);
    const taking = takingOf(item?.payload);
    expect(taking).toMatchObject({ jobId: 3, repository: "acme/outside", refusal: expect.stringMatching(/not in this tornade's allowed repositories/) });

    await recordTaking(r.deps, taking!);
    await recordTaking(r.deps, taking!);
    expect((await r.store.getLaunch("1-1"))?.outcome).toMatchObject({ kind: "taken", jobId: 3, refused: { repository: "acme/outside" } });
    expect(r.violations()).toBe(1);
  });

  it("asks for a look only when a webhook moves the job, and wakes the workers only then", async () => {
    const r = rig();
    let wakes = 0;
    const takeIn = createTakeIn({ ...r.deps, intake: sqliteIntake(r.store, r.queue), policy: r.policy, clock: r.clock, wake: () => void wakes++ });
    const keys = async () => {
      const items = await r.queue.receive(10, 60_000);
      for (const i of items) await r.queue.ack(i.receiptHandle);
      return items.map((i) => i.key);
    };
    expect(await takeIn(delivery(5, "queued", null))).toMatchObject({ kind: "taken-in", stored: "created" });
    expect([await keys(), wakes]).toEqual([["job:5"], 1]);
    // A second delivery of the state on record (GitHub sends each with a GUID of its own) changes nothing: no look.
    expect(await takeIn(delivery(5, "queued", null))).toMatchObject({ kind: "taken-in", stored: "unchanged" });
    expect([await keys(), wakes]).toEqual([[], 1]);
    expect(await takeIn(delivery(5, "in_progress", runnerName(5, 1)))).toMatchObject({ kind: "taken-in", stored: "updated" });
    expect([await keys(), wakes]).toEqual([["job:5"], 2]);
    // A late `queued` after `in_progress` never moves the job back, and asks for nothing.
    expect(await takeIn(delivery(5, "queued", null))).toMatchObject({ kind: "taken-in", stored: "unchanged" });
    expect([await keys(), wakes]).toEqual([[], 2]);
  });

  it("records a runner coming up without a look, and its stop with one, in the same write", async () => {
    const r = rig();
    let wakes = 0;
    const takeIn = createTakeIn({ ...r.deps, intake: sqliteIntake(r.store, r.queue), policy: r.policy, clock: r.clock, wake: () => void wakes++ });
    await r.store.putLaunch({ jobId: 6, attempt: 1, backend: "FARGATE", arch: "X86_64", runnerName: runnerName(6, 1), requestedAt: r.clock.now(), state: "launched", providerId: "task-6" });
    const handle = { backend: "FARGATE" as const, id: "task-6" };
    expect(await takeIn({ kind: "runner", state: { handle, status: "running", spotInterrupted: false, startedAt: 10 } })).toEqual({ kind: "runner-updated", jobId: 6 });
    expect(await r.store.getLaunch("6-1")).toMatchObject({ state: "running", startedAt: 10 });
    // Reconcile reads "launched" and "running" alike but for the boot timeout's wait: nothing to look at.
    expect([await r.queue.depth(), wakes]).toEqual([{ pending: 0, inFlight: 0, dead: 0 }, 0]);
    expect(await takeIn({ kind: "runner", state: { handle, status: "stopped", succeeded: true, spotInterrupted: false, stoppedAt: 20 } })).toEqual({ kind: "runner-updated", jobId: 6 });
    expect(await r.store.getLaunch("6-1")).toMatchObject({ state: "stopped", stoppedAt: 20 });
    expect([(await r.queue.receive(10, 60_000)).map((i) => i.key), wakes]).toEqual([["job:6"], 1]);
  });

  it("answers a duplicate delivery as such, and a body it cannot read as invalid", async () => {
    const r = rig();
    const first = delivery(4, "queued", null);
    await r.takeIn(first);
    expect(await r.takeIn(first)).toEqual({ kind: "duplicate" });
    expect(await r.takeIn({ ...first, guid: "00000000-0000-4000-8000-ffffffffffff", payload: { action: "queued" } })).toMatchObject({ kind: "invalid" });
    expect(await r.takeIn({ ...first, event: "push" })).toEqual({ kind: "other-event", event: "push" });
  });

  it("takes a scale set's job in from its messages, and reads no taking into the webhook of the same job on its runner", async () => {
    const r = rig();
    const job = { runnerRequestId: 7, jobId: "guid-7", owner: "acme", repository: "app", workflowRef: "", displayName: "build", workflowRunId: 500, eventName: "push", labels: ["linux"], queuedAt: 1_000, scaleSetAssignedAt: 2_000, runnerAssignedAt: null, finishedAt: null };
    const scaleSet = { name: "linux", spec: { backend: "FARGATE" as const, arch: "X86_64" as const, image: "default", runnerLabels: ["linux"] }, installationId: 9 };
    const offered = await r.takeIn({ kind: "scale-set", scaleSet, jobs: [{ type: "JobAvailable", job }] });
    expect(offered.jobs).toEqual([{ kind: "offered", runnerRequestId: 7 }]);
    expect(await r.store.getJob(-7)).toBeUndefined();
    const assigned = await r.takeIn({ kind: "scale-set", scaleSet, jobs: [{ type: "JobAssigned", job }] });
    expect(assigned.jobs).toEqual([expect.objectContaining({ kind: "taken-in", jobId: -7, decision: "launch", stored: "created" })]);
    expect(await r.store.getJob(-7)).toMatchObject({ status: "queued", repository: "acme/app", runId: 500, installationId: 9, decision: { kind: "launch", scaleSet: "linux" } });
    await r.store.putLaunch({ jobId: -7, attempt: 1, backend: "FARGATE", arch: "X86_64", runnerName: runnerName(-7, 1), requestedAt: r.clock.now() });

    // GitHub's webhook of the same job, under its REST id, on the runner launched for it: not tornade's, not a taking.
    const webhook = delivery(4242, "in_progress", runnerName(-7, 1));
    (webhook.payload.workflow_job as { labels: string[] }).labels = ["linux"];
    expect(await r.takeIn(webhook)).toEqual({ kind: "foreign", jobId: 4242 });
    expect(await r.queue.receive(10, 60_000)).toEqual([expect.objectContaining({ key: "job:-7" })]);

    const done = await r.takeIn({ kind: "scale-set", scaleSet, jobs: [{ type: "JobStarted", job, runner: { id: 1, name: runnerName(-7, 1) } }, { type: "JobCompleted", job, result: "succeeded", runner: { id: 1, name: runnerName(-7, 1) } }] });
    expect(done.jobs.map((j) => j.kind)).toEqual(["taken-in", "taken-in"]);
    expect(await r.store.getJob(-7)).toMatchObject({ status: "completed", conclusion: "success", runnerName: runnerName(-7, 1) });
  });
});
