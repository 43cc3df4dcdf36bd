import { describe, expect, it } from "vitest";
import { advanceJob, jobStatusOf } from "./job-status.js";

const at = (status: "queued" | "waiting" | "in_progress" | "completed", conclusion: string | null = null, runnerName: string | null = null) => ({
  status,
  conclusion,
  runnerName,
});

describe("advanceJob", () => {
  it("moves forward through queued → in_progress → completed", () => {
    expect(advanceJob(at("queued"), at("in_progress", null, "r1"))).toEqual({ status: "in_progress", runnerName: "r1" });
    expect(advanceJob(at("in_progress", null, "r1"), at("completed", "success", "r1"))).toEqual({
      status: "completed",
      conclusion: "success",
    });
    expect(advanceJob(at("waiting"), at("queued"))).toEqual({ status: "queued" });
  });

  it("records when the job started on its runner", () => {
    expect(advanceJob(at("queued"), { ...at("in_progress", null, "r1"), startedAt: 5_000 })).toEqual({ status: "in_progress", runnerName: "r1", startedAt: 5_000 });
  });

  it("never moves backwards when deliveries arrive out of order", () => {
    expect(advanceJob(at("completed", "success"), at("queued"))).toBeNull();
    expect(advanceJob(at("in_progress", null, "r1"), at("queued"))).toBeNull();
  });

  it("reports nothing for a duplicate observation", () => {
    expect(advanceJob(at("queued"), at("queued"))).toBeNull();
  });
});

describe("jobStatusOf", () => {
  it("reads GitHub's pre-queue states as queued", () => {
    expect(jobStatusOf("requested")).toBe("queued");
    expect(jobStatusOf("pending")).toBe("queued");
    expect(jobStatusOf("in_progress")).toBe("in_progress");
  });
});
