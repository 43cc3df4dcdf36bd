import { describe, expect, it } from "vitest";
import { jobDecisionOf, launchFieldsOf, standbyRoleOf } from "./record-fields.js";

// Round trips of every decision and outcome through both stores are in store.contract.ts; these are the reads of
// stored values no current code writes.
describe("reading stored fields", () => {
  it("reads a launch decision without a usable spec as a rejection, not a launch", () => {
    expect(jobDecisionOf({ kind: "launch", spec: { backend: "MAINFRAME" } })).toMatchObject({ kind: "rejected" });
    expect(jobDecisionOf({ kind: "launch", spec: { backend: "FARGATE", arch: "X86_64", image: "default", runnerLabels: [1] } })).toMatchObject({ kind: "rejected" });
  });

  it("keeps a spec's known fields only, and no decision of an unknown kind", () => {
    const spec = { backend: "FARGATE", arch: "ARM64", cpu: 1, size: "huge", image: "default", runnerLabels: ["a"], extra: "x" };
    expect(jobDecisionOf({ kind: "launch", spec })).toEqual({ kind: "launch", spec: { backend: "FARGATE", arch: "ARM64", cpu: 1, image: "default", runnerLabels: ["a"] } });
    expect(jobDecisionOf({ kind: "postponed", reason: "x" })).toBeNull();
    expect(jobDecisionOf(null)).toBeNull();
  });

  it("retries an error of a kind outside the closed set as transient, as such errors always were", () => {
    expect(launchFieldsOf({ kind: "weird", message: "m" }, null)).toEqual({ error: { kind: "transient", message: "m" }, outcome: null });
  });

  it("finds the sibling's job id of an old taking in its message when takenBy is missing", () => {
    expect(launchFieldsOf({ kind: "taken-by-sibling", message: "its runner took job 42, an identical sibling" }, null).outcome).toEqual({ kind: "taken", jobId: 42, refused: null });
  });

  it("ignores a malformed outcome rather than trusting it", () => {
    expect(launchFieldsOf(null, { kind: "taken", jobId: "12" })).toEqual({ error: null, outcome: null });
    expect(launchFieldsOf(null, { kind: "idle" })).toEqual({ error: null, outcome: null });
  });

  it("reads a standby whose status is unreadable as retired, never as free to take a job", () => {
    const role = { shape: "FARGATE/X86_64/cpu=2,memory=4096,disk=-/image=default", parameter: "/tornade/jit/x.0" };
    expect(standbyRoleOf({ ...role, status: { kind: "free" } })).toEqual({ ...role, status: { kind: "free" } });
    expect(standbyRoleOf({ ...role, status: { kind: "claimed", jobId: "7", attempt: 1, at: 3 } })).toEqual({ ...role, status: { kind: "retired", why: "stale", at: 3 } });
    expect(standbyRoleOf({ ...role, status: { kind: "retired", why: "bored", at: 4 } })).toEqual({ ...role, status: { kind: "retired", why: "stale", at: 4 } });
    expect(standbyRoleOf({ ...role, status: null })?.status.kind).toBe("retired");
    expect(standbyRoleOf({ shape: "x" })).toBeNull();
    expect(standbyRoleOf(null)).toBeNull();
  });
});
