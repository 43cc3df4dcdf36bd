import { describe, expect, it } from "vitest";
import type { JobDecision } from "../core/reconcile.js";
import { fromStored, toStored } from "./stored-decision.js";

const spec = { backend: "FARGATE_SPOT", arch: "ARM64", image: "default", runnerLabels: ["self-hosted", "tornade"] } as const;

describe("stored decisions", () => {
  it.each<JobDecision>([
    { kind: "launch", spec, headSha: "abc" },
    { kind: "launch", spec, headSha: "abc", rerun: "requested" },
    { kind: "rejected", reason: "label \"arch=RISCV\"", headSha: "abc", reported: "check-run" },
    { kind: "rejected", reason: "label \"a=1\": x; label \"b=2\": y", problems: ['label "a=1": x', 'label "b=2": y'], headSha: "abc" },
    { kind: "failed", reason: "Unable to describe task definition", spec, headSha: "abc", reported: "not-permitted" },
    { kind: "static", reason: "type=static" },
    { kind: "ignored", reason: "no launch label" },
  ])("survive a round trip through the store: $kind", (d) => {
    expect(fromStored(JSON.parse(JSON.stringify(toStored(d))))).toEqual(d);
  });

  it("reads a launch decision without a usable spec as a rejection, not a launch", () => {
    expect(fromStored({ kind: "launch", spec: { backend: "MAINFRAME" } })).toMatchObject({ kind: "rejected" });
  });
});
