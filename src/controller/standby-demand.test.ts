import { describe, expect, it } from "vitest";
import type { StandbyView } from "../core/standby.js";
import type { LaunchSpec } from "../core/types.js";
import { BOOT_FALLBACK_MS, StandbyDemand, type StandbyTargetSpec } from "./standby-demand.js";

const MINUTE = 60_000;
const spec = { backend: "FARGATE", arch: "X86_64", image: "default", runnerLabels: [] } as unknown as LaunchSpec;
const adaptive: StandbyTargetSpec = { shape: "A", spec, count: 0, adaptive: { max: 40, costPerHour: 0.05 } };
const fixed: StandbyTargetSpec = { shape: "B", spec, count: 2 };
const running = (id: string, requestedAt: number, bootMs: number): StandbyView => ({ id, shape: "A", state: "running", status: "free", requestedAt, startedAt: requestedAt + bootMs });

describe("StandbyDemand: an adaptive shape's count from its own arrivals and boots", () => {
  it("keeps none before any job arrived, and leaves fixed counts alone", () => {
    const d = new StandbyDemand(10 * MINUTE, 0);
    expect(d.sized([adaptive, fixed], 10 * MINUTE).map((t) => t.count)).toEqual([0, 2]);
  });

  it("counts each job once however many attempts ask, over the window only, with the median boot seen", () => {
    const d = new StandbyDemand(10 * MINUTE, 0);
    // 60 jobs in 10 minutes (two attempts each), boots of 60 s observed: m = 6, count = ceil(6 + 1.645·√6) = 11.
    for (let i = 0; i < 60; i++) for (let attempt = 0; attempt < 2; attempt++) d.arrived("A", i, i * 10_000);
    d.observe([running("s1", 0, 60_000), running("s2", 0, 60_000), running("s3", 0, 60_000)]);
    expect(d.size("A", adaptive.adaptive!, 10 * MINUTE)).toMatchObject({ count: 11, boundBy: "demand" });
    expect(d.size("A", adaptive.adaptive!, 10 * MINUTE).expectedPerBoot).toBeCloseTo(6, 5);
    // Ten minutes later nothing new arrived: the window forgets them.
    expect(d.size("A", adaptive.adaptive!, 21 * MINUTE).count).toBe(0);
  });

  it("assumes the published profile's Fargate boot until a standby of the shape was seen running", () => {
    const d = new StandbyDemand(10 * MINUTE, 0);
    for (let i = 0; i < 60; i++) d.arrived("A", i, i * 10_000);
    expect(d.size("A", adaptive.adaptive!, 10 * MINUTE).expectedPerBoot).toBeCloseTo(BOOT_FALLBACK_MS / 10_000, 5);
    // A booting standby (not running yet) tells nothing.
    d.observe([{ ...running("s1", 0, 0), state: "launched", startedAt: null }]);
    expect(d.size("A", adaptive.adaptive!, 10 * MINUTE).expectedPerBoot).toBeCloseTo(BOOT_FALLBACK_MS / 10_000, 5);
  });

  it("reads the rate over the time it has been up, not the whole window", () => {
    const d = new StandbyDemand(10 * MINUTE, 0);
    for (let i = 0; i < 12; i++) d.arrived("A", i, i * 10_000);
    d.observe([running("s1", 0, 60_000)]);
    // 12 jobs in 2 minutes is 6 a minute, as 60 in 10.
    expect(d.size("A", adaptive.adaptive!, 2 * MINUTE).count).toBe(11);
  });
});
