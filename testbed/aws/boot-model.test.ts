import { describe, expect, it } from "vitest";
import { BootModel, bootQuantiles, type BootPlan, type BootRequest } from "./boot-model.js";
import { BootModelError, resolveBootModel, type BootModelInput } from "./boot-profiles.js";

const FARGATE_X86: BootRequest = { backend: "FARGATE", arch: "X86_64", image: "ghcr.io/tornade/runner:latest" };
const CURATED = "aws/codebuild/standard:7.0";

function plans(input: BootModelInput, req: BootRequest, n: number): BootPlan[] {
  const model = new BootModel(resolveBootModel(input));
  return Array.from({ length: n }, () => model.plan(req));
}

/** The q-quantile (0..1) of the values, nearest rank. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

const near = (actual: number, expected: number, tolerance: number) => {
  expect(actual).toBeGreaterThanOrEqual(expected * (1 - tolerance));
  expect(actual).toBeLessThanOrEqual(expected * (1 + tolerance));
};

describe("boot model: the fixed profile (the default)", () => {
  it("draws the test bed's earlier constants exactly: 15 s + 15 s to RUNNING, 2 s + 20 s to BUILD, no runner start-up", () => {
    for (const p of plans({}, FARGATE_X86, 20)) expect(p).toMatchObject({ queuedMs: 0, provisioningMs: 15_000, pullMs: 15_000, runnerStartMs: 0 });
    for (const arch of ["X86_64", "ARM64"] as const) {
      for (const image of [CURATED, "123456789012.dkr.ecr.us-east-1.amazonaws.com/runner:1"]) {
        for (const p of plans({}, { backend: "CODEBUILD", arch, image }, 5)) {
          expect(p).toMatchObject({ queuedMs: 2_000, provisioningMs: 20_000, pullMs: 0, runnerStartMs: 0 });
        }
      }
    }
  });
});

describe("boot model: seeded draws", () => {
  const published: BootModelInput = { profile: "published", seed: 7 };

  it("land on the configured p50 and p95 of every phase (4,000 draws)", () => {
    const drawn = plans(published, FARGATE_X86, 4000);
    const q = bootQuantiles(resolveBootModel(published), FARGATE_X86);
    for (const phase of ["provisioning", "pull", "runnerStart", "runnerStartWarmed"] as const) {
      const key = `${phase}Ms` as const;
      const values = drawn.map((p) => p[key]);
      near(quantile(values, 0.5), q[phase].p50Ms, 0.04);
      near(quantile(values, 0.95), q[phase].p95Ms, 0.06);
    }
    // The default 1 GiB image: 27 s + 1024 MiB × 50 ms.
    expect(q.pull.p50Ms).toBe(78_200);
  });

  it("give a warmed-up standby's start (after its handoff) from the runner start's own draw: never longer, under half at the median", () => {
    const drawn = plans(published, FARGATE_X86, 500);
    for (const p of drawn) expect(p.runnerStartWarmedMs).toBeLessThanOrEqual(p.runnerStartMs);
    // The same draw: a slower runner start is a slower warmed start.
    const byStart = [...drawn].sort((a, b) => a.runnerStartMs - b.runnerStartMs);
    // (Both are rounded to whole ms, so neighbours may swap by 1 ms.)
    for (let i = 1; i < byStart.length; i++) expect(byStart[i]!.runnerStartWarmedMs).toBeGreaterThanOrEqual(byStart[i - 1]!.runnerStartWarmedMs - 1);
    expect(quantile(drawn.map((p) => p.runnerStartWarmedMs), 0.5)).toBeLessThan(quantile(drawn.map((p) => p.runnerStartMs), 0.5) / 2);
    // The fixed profile has no start-up at all.
    for (const p of plans({}, FARGATE_X86, 5)) expect(p.runnerStartWarmedMs).toBe(0);
  });

  it("repeat for the same seed, differ for another, and keep each phase's draws when another phase's figures change", () => {
    expect(plans(published, FARGATE_X86, 50)).toEqual(plans(published, FARGATE_X86, 50));
    const other = plans({ ...published, seed: 8 }, FARGATE_X86, 50);
    expect(other.map((p) => p.pullMs)).not.toEqual(plans(published, FARGATE_X86, 50).map((p) => p.pullMs));
    const slowerProvisioning = plans({ ...published, fargate: { provisioning: { p50Ms: 40_000, p95Ms: 90_000 } } }, FARGATE_X86, 50);
    expect(slowerProvisioning.map((p) => p.pullMs)).toEqual(plans(published, FARGATE_X86, 50).map((p) => p.pullMs));
    expect(slowerProvisioning.map((p) => p.provisioningMs)).not.toEqual(plans(published, FARGATE_X86, 50).map((p) => p.provisioningMs));
  });

  it("are whole milliseconds, never negative", () => {
    const values = plans(published, FARGATE_X86, 500).flatMap((p) => [p.queuedMs, p.provisioningMs, p.pullMs, p.runnerStartMs]);
    expect(values.filter((v) => !Number.isInteger(v) || v < 0)).toEqual([]);
  });
});

describe("boot model: the published profile against its sources", () => {
  const sized = (mib: number): BootModelInput => ({ profile: "published", seed: 3, imageSizesMiB: { "php-app:1": mib } });
  const php: BootRequest = { backend: "FARGATE", arch: "X86_64", image: "php-app:1" };

  it("boots a 413 MB image on Fargate in elasticscale's measured 53–62 s (createdAt → startedAt, median)", () => {
    const total = plans(sized(394), php, 2000).map((p) => p.provisioningMs + p.pullMs);
    expect(quantile(total, 0.5)).toBeGreaterThanOrEqual(53_000);
    expect(quantile(total, 0.5)).toBeLessThanOrEqual(62_000);
  });

  it("pulls a ~900 MB image for about the ~70 s containers-roadmap#696 reports in PENDING (median within 65–75 s)", () => {
    const pull = plans(sized(858), php, 2000).map((p) => p.pullMs);
    expect(quantile(pull, 0.5)).toBeGreaterThanOrEqual(65_000);
    expect(quantile(pull, 0.5)).toBeLessThanOrEqual(75_000);
  });

  it("takes at least the minute cdk-github-runners reports for CodeBuild PROVISIONING with a custom image", () => {
    const custom: BootRequest = { backend: "CODEBUILD", arch: "X86_64", image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/runner:1" };
    const provisioning = plans({ profile: "published", imageSizesMiB: { [custom.image]: 300 } }, custom, 2000).map((p) => p.provisioningMs + p.pullMs);
    expect(quantile(provisioning, 0.5)).toBeGreaterThanOrEqual(60_000);
  });

  it("pulls a larger image for longer, and never pulls an image CodeBuild caches", () => {
    const small = plans(sized(200), php, 1000).map((p) => p.pullMs);
    const large = plans(sized(2048), php, 1000).map((p) => p.pullMs);
    expect(quantile(large, 0.5) - quantile(small, 0.5)).toBeGreaterThan(85_000); // (2048 − 200) MiB × 50 ms ≈ 92 s
    for (const arch of ["X86_64", "ARM64"] as const) {
      const curated = plans({ profile: "published" }, { backend: "CODEBUILD", arch, image: CURATED }, 200);
      expect(curated.every((p) => p.pullMs === 0 && p.cached)).toBe(true);
      const custom = plans({ profile: "published" }, { backend: "CODEBUILD", arch, image: "my/runner:1" }, 200);
      expect(custom.every((p) => p.pullMs > 0 && !p.cached)).toBe(true);
    }
  });
});

describe("boot model: configuration", () => {
  it("applies a backend-level override to both architectures and an architecture's own to that one only", () => {
    const input: BootModelInput = {
      profile: "published",
      fargate: { runnerStart: { p50Ms: 3_000, p95Ms: 3_000 }, ARM64: { provisioning: { p50Ms: 30_000, p95Ms: 30_000 }, pull: { msPerMiB: 100 } } },
      codebuild: { ARM64: { cachedImagePrefixes: [] } },
    };
    const spec = resolveBootModel(input);
    expect(spec.fargate.X86_64.runnerStart).toEqual({ p50Ms: 3_000, p95Ms: 3_000 });
    expect(spec.fargate.ARM64.runnerStart).toEqual({ p50Ms: 3_000, p95Ms: 3_000 });
    expect(spec.fargate.ARM64.provisioning).toEqual({ p50Ms: 30_000, p95Ms: 30_000 });
    expect(spec.fargate.X86_64.provisioning).toEqual({ p50Ms: 10_000, p95Ms: 20_000 });
    // A partial pull override keeps the rest of the profile's pull.
    expect(spec.fargate.ARM64.pull).toEqual({ overheadMs: 27_000, msPerMiB: 100, p95OverP50: 1.15 });
    expect(spec.fargate.X86_64.pull.msPerMiB).toBe(50);
    const arm = plans(input, { ...FARGATE_X86, arch: "ARM64" }, 20);
    expect(arm.every((p) => p.provisioningMs === 30_000 && p.runnerStartMs === 3_000)).toBe(true);
    expect(plans(input, FARGATE_X86, 20).every((p) => p.provisioningMs !== 30_000)).toBe(true);
    // ARM64 CodeBuild without the image cache (as aws/aws-codebuild-docker-images#793 saw in one region).
    expect(plans(input, { backend: "CODEBUILD", arch: "ARM64", image: CURATED }, 5).every((p) => p.pullMs > 0)).toBe(true);
    expect(plans(input, { backend: "CODEBUILD", arch: "X86_64", image: CURATED }, 5).every((p) => p.pullMs === 0)).toBe(true);
  });

  it("rejects a bad model naming every problem and where it is", () => {
    const bad = () =>
      resolveBootModel({ profile: "slow", fargate: { provisioning: { p50Ms: 10, p95Ms: 5 }, ARM64: { pull: { p95OverP50: 0.5 } } }, defaultImageSizeMiB: -1, fargte: {} });
    expect(bad).toThrow(BootModelError);
    const message = (() => {
      try {
        bad();
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    for (const where of ["profile", "fargate.provisioning", "p95Ms must be at least p50Ms", "fargate.ARM64.pull.p95OverP50", "defaultImageSizeMiB", "fargte"]) {
      expect(message).toContain(where);
    }
  });
});
