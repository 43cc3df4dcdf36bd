import { describe, expect, it } from "vitest";
import { ScaleSetError } from "./errors.js";
import { JOB_MESSAGES, parseMessage } from "./messages.js";
import { MessageWire } from "./wire.js";

const stats = { totalAvailableJobs: 1, totalAcquiredJobs: 0, totalAssignedJobs: 2, totalRunningJobs: 1, totalRegisteredRunners: 1, totalBusyRunners: 1, totalIdleRunners: 0 };
const base = {
  runnerRequestId: 41,
  repositoryName: "app",
  ownerName: "acme",
  jobId: "8c4b1f9e-2c1d-4a53-9a7e-2f2c5b0d7e11",
  jobWorkflowRef: "acme/app/.github/workflows/ci.yml@refs/heads/main",
  jobDisplayName: "build",
  workflowRunId: 7,
  eventName: "push",
  requestLabels: ["linux-set"],
  queueTime: "2026-01-05T12:00:00Z",
  scaleSetAssignTime: "0001-01-01T00:00:00Z",
  runnerAssignTime: "0001-01-01T00:00:00Z",
  finishTime: "0001-01-01T00:00:00Z",
};

const message = (body: unknown[], over: Record<string, unknown> = {}) =>
  parseMessage(MessageWire.parse({ messageId: 9, messageType: JOB_MESSAGES, body: JSON.stringify(body), statistics: stats, ...over }), "poll");

function protocolError(f: () => unknown): ScaleSetError {
  try {
    f();
  } catch (e) {
    if (e instanceof ScaleSetError) return e;
    throw e;
  }
  throw new Error("expected a ScaleSetError");
}

describe("a polled message", () => {
  it("becomes typed job messages, in order, with the statistics of the poll", () => {
    const m = message([
      { ...base, messageType: "JobAvailable", acquireJobUrl: "https://x/acquirejobs" },
      { ...base, messageType: "JobAssigned", scaleSetAssignTime: "2026-01-05T12:00:05Z" },
      { ...base, messageType: "JobStarted", runnerId: 3, runnerName: "r-3" },
      { ...base, messageType: "JobCompleted", result: "succeeded", runnerId: 3, runnerName: "r-3", finishTime: "2026-01-05T12:10:00Z" },
    ]);
    expect(m.messageId).toBe(9);
    expect(m.statistics).toEqual(stats);
    expect(m.jobs.map((j) => j.type)).toEqual(["JobAvailable", "JobAssigned", "JobStarted", "JobCompleted"]);
    expect(m.jobs[0]?.job).toEqual({
      runnerRequestId: 41,
      jobId: base.jobId,
      owner: "acme",
      repository: "app",
      workflowRef: base.jobWorkflowRef,
      displayName: "build",
      workflowRunId: 7,
      eventName: "push",
      labels: ["linux-set"],
      queuedAt: Date.parse("2026-01-05T12:00:00Z"),
      // Go's zero time means "not yet".
      scaleSetAssignedAt: null,
      runnerAssignedAt: null,
      finishedAt: null,
    });
    expect(m.jobs[1]?.job.scaleSetAssignedAt).toBe(Date.parse("2026-01-05T12:00:05Z"));
    expect(m.jobs[2]).toMatchObject({ type: "JobStarted", runner: { id: 3, name: "r-3" } });
    expect(m.jobs[3]).toMatchObject({ type: "JobCompleted", result: "succeeded", runner: { id: 3, name: "r-3" }, job: { finishedAt: Date.parse("2026-01-05T12:10:00Z") } });
  });

  it("says a job completed without a runner (cancelled while queued) has none", () => {
    const m = message([{ ...base, messageType: "JobCompleted", result: "canceled", runnerId: 0, runnerName: "" }]);
    expect(m.jobs[0]).toMatchObject({ type: "JobCompleted", result: "canceled", runner: null });
  });

  it("skips entries of types it does not know, as the public client does, and says which", () => {
    const m = message([{ ...base, messageType: "JobDeferred" }, { messageType: 5 }, { ...base, messageType: "JobAssigned" }]);
    expect(m.jobs.map((j) => j.type)).toEqual(["JobAssigned"]);
    expect(m.skipped).toEqual(["JobDeferred", "(no messageType)"]);
  });

  it("reads an empty body as no job messages", () => {
    expect(parseMessage(MessageWire.parse({ messageId: 2, messageType: JOB_MESSAGES, body: "", statistics: stats }), "poll").jobs).toEqual([]);
  });

  it("refuses another message type, a body that is not a JSON array, and names every unreadable entry", () => {
    expect(protocolError(() => message([], { messageType: "RunnerScaleSetStatusMessage" })).message).toMatch(/messageType "RunnerScaleSetStatusMessage", not RunnerScaleSetJobMessages/);
    expect(protocolError(() => message([], { body: "{not json" })).message).toMatch(/body that is not JSON/);
    expect(protocolError(() => message([], { body: '{"a":1}' })).message).toMatch(/not a JSON array/);
    const e = protocolError(() => message([{ ...base, messageType: "JobStarted" }, { ...base, runnerRequestId: "x", messageType: "JobAssigned" }, { ...base, messageType: "JobAssigned", queueTime: "yesterday" }]));
    expect(e.kind).toBe("protocol");
    expect(e.message).toMatch(/message 9/);
    expect(e.message).toMatch(/entry 0 \(JobStarted\): runnerId/);
    expect(e.message).toMatch(/entry 1 \(JobAssigned\): runnerRequestId/);
    expect(e.message).toMatch(/entry 2 \(JobAssigned\): queueTime not an RFC 3339 time/);
  });
});
