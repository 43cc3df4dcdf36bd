import { describe, expect, it } from "vitest";
import { lookNeeded, type OwnLaunch } from "./look-needed.js";
import { defaultReconcilePolicy as policy, runnerName, type JobView } from "./reconcile.js";
import type { LaunchSpec } from "./types.js";

const spec: LaunchSpec = { backend: "FARGATE_SPOT", arch: "X86_64", image: "default", runnerLabels: ["self-hosted", "tornade"] };
const now = 1_000_000;
const id = 42;
const own = (attempt: number, over: Partial<OwnLaunch> = {}): OwnLaunch => ({
  attempt,
  backend: "FARGATE_SPOT",
  state: "running",
  providerId: `arn:task/${attempt}`,
  requestedAt: now - 60_000,
  runnerName: runnerName(id, attempt),
  error: null,
  ...over,
});
const job = (over: Partial<JobView>): JobView & { id: number } => ({
  id,
  status: "in_progress",
  decision: { kind: "launch", spec },
  runnerName: runnerName(id, 1),
  conclusion: null,
  ...over,
});

describe("lookNeeded", () => {
  it.each<[string, JobView & { id: number }, OwnLaunch[]]>([
    ["started on its own runner", job({}), [own(1)]],
    ["started on its own runner, still seen launched", job({}), [own(1, { state: "launched" })]],
    ["finished on its own runner", job({ status: "completed", conclusion: "success" }), [own(1)]],
    ["finished, its runner stopped", job({ status: "completed", conclusion: "success" }), [own(1, { state: "stopped", stoppedAt: now })]],
    ["failed on its own runner, which stopped for no Spot reason", job({ status: "completed", conclusion: "failure" }), [own(1, { state: "stopped", stoppedAt: now })]],
    ["cancelled while running on its own runner", job({ status: "completed", conclusion: "cancelled" }), [own(1)]],
    ["on its second runner, the first one failed", job({ runnerName: runnerName(id, 2) }), [own(1, { state: "failed", providerId: null }), own(2)]],
  ])("no look for a job %s", (_name, j, launches) => {
    expect(lookNeeded(j, () => launches, now, policy)).toBe(false);
  });

  it.each<[string, JobView & { id: number }, OwnLaunch[]]>([
    ["still queued", job({ status: "queued", runnerName: null }), [own(1)]],
    ["started on a sibling's runner", job({ runnerName: runnerName(7, 1) }), [own(1)]],
    ["started on a runner that is not tornade's", job({ runnerName: "hosted-1" }), [own(1)]],
    ["first seen in progress, no launch of its own", job({}), []],
    ["started on an earlier runner than its latest", job({}), [own(1, { state: "stopped" }), own(2)]],
    ["served by a standby whose task its row does not name yet", job({}), [own(1, { providerId: null, handoffFrom: "0-3" })]],
    ["with a launch still being requested", job({ status: "completed", conclusion: "success", runnerName: runnerName(id, 2) }), [own(1, { state: "requested", providerId: null }), own(2)]],
    ["whose runner was lost to a Spot interruption", job({ status: "completed", conclusion: "failure" }), [own(1, { state: "stopped", spotInterrupted: true, outcome: { kind: "spot-interrupted", checked: false, reason: "interrupted" } })]],
    ["failed while its runner is still seen running (is it a Spot interruption?)", job({ status: "completed", conclusion: "failure" }), [own(1)]],
    ["in progress on a runner lost to a Spot interruption", job({}), [own(1, { state: "stopped", spotInterrupted: true })]],
    ["rejected, its reason not yet reported", job({ status: "completed", decision: { kind: "rejected", reason: "bad", headSha: "abc" } }), [own(1)]],
  ])("a look for a job %s", (_name, j, launches) => {
    expect(lookNeeded(j, () => launches, now, policy)).toBe(true);
  });

  it("reads no launches for a job the job row alone settles: queued, or not on its own runner", () => {
    const unread = () => {
      throw new Error("launches read");
    };
    expect(lookNeeded(job({ status: "queued", runnerName: null }), unread, now, policy)).toBe(true);
    expect(lookNeeded(job({ runnerName: runnerName(7, 1) }), unread, now, policy)).toBe(true);
  });

  it("cancelled before its own runner took it: the look stops that runner", () => {
    const cancelled = job({ status: "completed", conclusion: "cancelled", runnerName: null });
    expect(lookNeeded(cancelled, () => [own(1)], now, policy)).toBe(true);
  });
});
