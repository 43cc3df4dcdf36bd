import { describe, expect, it } from "vitest";
import { standbyShapeKey } from "./standby.js";
import { hitRate, jobStartOf, shapeSizing, standbyCounts, type StandbyRowView } from "./standby-stats.js";
import type { LaunchSpec } from "./types.js";

const fargate: LaunchSpec = { backend: "FARGATE_SPOT", arch: "X86_64", cpu: 2, memory: 4096, disk: 30, image: "default", runnerLabels: [] };
const codebuild: LaunchSpec = { backend: "CODEBUILD", arch: "ARM64", size: "large", image: "big", runnerLabels: [] };
const FG = standbyShapeKey(fargate);
const CB = standbyShapeKey(codebuild);

describe("shapeSizing", () => {
  it.each([
    ["Fargate with a size", fargate, { backend: "FARGATE_SPOT", arch: "X86_64", cpu: 2, memory: 4096, disk: 30, size: undefined, image: "default" }],
    ["Fargate with the task definition's size", { ...fargate, cpu: undefined, memory: undefined, disk: undefined }, { cpu: undefined, memory: undefined, disk: undefined }],
    ["CodeBuild", codebuild, { backend: "CODEBUILD", arch: "ARM64", size: "large", image: "big", cpu: undefined }],
  ] as const)("reads back what standbyShapeKey wrote: %s", (_what, spec, want) => {
    expect(shapeSizing(standbyShapeKey(spec))).toMatchObject(want);
  });

  it.each(["", "EC2/X86_64/size=-/image=default", "FARGATE/RISCV/cpu=1/image=x", "FARGATE/X86_64/cpu=1"])("refuses a key it does not know: %j", (key) => {
    expect(shapeSizing(key)).toBeUndefined();
  });
});

describe("standbyCounts", () => {
  const row = (shape: string, state: StandbyRowView["state"], status: StandbyRowView["status"]): StandbyRowView => ({ shape, state, status });

  it("counts standbys per shape by state, and the hit rate of the jobs of that shape", () => {
    const rows = [
      row(FG, "requested", "free"),
      row(FG, "launched", "free"),
      row(FG, "running", "free"),
      row(FG, "running", "retired"),
      row(FG, "stopped", "retired"), // stopped: no longer counted as retiring
      row(FG, "stopped", "claimed"),
      row(FG, "stopped", "claimed"),
      row(CB, "running", "free"),
    ];
    const starts = [
      { shape: FG, warm: true },
      { shape: FG, warm: true },
      { shape: FG, warm: false },
      { shape: "FARGATE/ARM64/x", warm: false }, // a shape without standbys: not shown
    ];
    expect(standbyCounts(rows, starts)).toEqual([
      { shape: FG, booting: 2, waiting: 1, retiring: 1, handedOff: 2, warmJobs: 2, coldJobs: 1, hitRate: 2 / 3 },
      { shape: CB, booting: 0, waiting: 1, retiring: 0, handedOff: 0, warmJobs: 0, coldJobs: 0, hitRate: null },
    ]);
  });

  it("shows a configured shape with no standbys yet, first", () => {
    expect(standbyCounts([row(FG, "running", "free")], [{ shape: CB, warm: false }], [CB]).map((c) => [c.shape, c.coldJobs, c.hitRate])).toEqual([
      [CB, 1, 0],
      [FG, 0, null],
    ]);
  });
});

describe("jobStartOf and hitRate", () => {
  it.each([
    ["no launch reached its provider", [{ providerId: null, handoffFrom: null, attempt: 1 }], undefined],
    ["a cold launch", [{ providerId: "arn:t", handoffFrom: null, attempt: 1 }], false],
    ["handed to a standby", [{ providerId: "arn:t", handoffFrom: "0-5", attempt: 1 }], true],
    ["the standby died, the next attempt went cold: the latest counts", [{ providerId: "arn:t", handoffFrom: "0-5", attempt: 1 }, { providerId: "arn:u", handoffFrom: null, attempt: 2 }], false],
    ["a handoff not yet recorded is no start", [{ providerId: "arn:t", handoffFrom: null, attempt: 1 }, { providerId: null, handoffFrom: "0-5", attempt: 2 }], false],
  ] as const)("%s", (_what, launches, warm) => {
    const start = jobStartOf(fargate, launches);
    expect(start?.warm).toBe(warm);
    if (start) expect(start.shape).toBe(FG);
  });

  it("divides warm by all, and says nothing without jobs", () => {
    expect(hitRate(9, 1)).toBe(0.9);
    expect(hitRate(0, 0)).toBeNull();
  });
});
