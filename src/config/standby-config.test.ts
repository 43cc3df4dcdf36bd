import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { standbySetupOf } from "../controller/standby.js";
import { parseWindow } from "../core/pool.js";
import { MINIMAL_SERVE_ENV } from "../../test/support/config-env.js";
import { ConfigError, loadConfig, policyOf } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-standby-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A runnable environment with Fargate on both arches and CodeBuild on x86_64 only. */
const prod: NodeJS.ProcessEnv = { ...MINIMAL_SERVE_ENV, TORNADE_TASK_DEFINITION_ARM64: "td-arm64", TORNADE_CODEBUILD_PROJECT_X86_64: "runner" };

const LEASE = 120_000;
const setupOf = (env: NodeJS.ProcessEnv, file?: string) => {
  const config = loadConfig(env, file);
  return standbySetupOf(config, policyOf(config), LEASE);
};

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe("the standby section (docs/standby.md)", () => {
  it("is empty by default: every job launches cold", () => {
    expect(loadConfig(prod).standby.shapes).toEqual([]);
    expect(setupOf(prod)).toBeUndefined();
  });

  it("reads the environment's shorthand into one target per shape, each with the spec the label grammar gives it", () => {
    const setup = setupOf({ ...prod, TORNADE_STANDBY: "FARGATE_SPOT/X86_64=3, fargate/arm64/large=1, CODEBUILD=2", TORNADE_STANDBY_MAX_IDLE_MINUTES: "20" });
    expect(setup?.targets.map((t) => [t.spec.backend, t.spec.arch, t.spec.cpu, t.count])).toEqual([
      ["FARGATE_SPOT", "X86_64", undefined, 3],
      ["FARGATE", "ARM64", 8, 1],
      ["CODEBUILD", "X86_64", undefined, 2],
    ]);
    expect(new Set(setup?.targets.map((t) => t.shape)).size).toBe(3);
    expect(setup?.policy).toEqual({ maxIdleMs: 20 * 60_000, bootTimeoutMs: 600_000, claimLeaseMs: LEASE + 30_000 });
    expect(setup?.intervalMs).toBe(15_000);
  });

  it("reads shapes, schedules and a time zone from the file", () => {
    const file = join(dir, "standby.json");
    writeFileSync(
      file,
      JSON.stringify({
        standby: {
          timeZone: "Europe/Berlin",
          schedule: ["Mon-Fri 07:00-19:00"],
          shapes: [
            { backend: "FARGATE", arch: "X86_64", count: 2 },
            { backend: "FARGATE", arch: "ARM64", count: 1, schedule: [] },
          ],
        },
      }),
    );
    const setup = setupOf(prod, file);
    expect(setup?.targets[0]?.schedule).toEqual({ timeZone: "Europe/Berlin", windows: [parseWindow("Mon-Fri 07:00-19:00")] });
    expect(setup?.targets[1]?.schedule).toBeUndefined();
  });

  it("names a malformed entry and a shape the label grammar refuses, each with its fix", () => {
    expect(problems(() => setupOf({ ...prod, TORNADE_STANDBY: "FARGATE/X86_64" })).join("\n")).toMatch(/"FARGATE\/X86_64" is not BACKEND\[\/ARCH\[\/SIZE\[\/IMAGE\]\]\]=COUNT/);
    const refused = problems(() => setupOf({ ...prod, TORNADE_STANDBY: "CODEBUILD/ARM64=1,FARGATE/X86_64/small/nope=1" }));
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatch(/^standby\.shapes\.0 \(runs-on=CODEBUILD, arch=ARM64\): .*not configured.*Fix: /);
    expect(refused[1]).toMatch(/^standby\.shapes\.1 .*image=nope.*image must name a configured runner image/);
  });

  it("reads adaptive shapes: `=adaptive` in the environment, `count: adaptive` with its own bounds in the file, the section's bounds otherwise", () => {
    const setup = setupOf({ ...prod, TORNADE_STANDBY: "FARGATE/X86_64=adaptive,FARGATE_SPOT=2", TORNADE_STANDBY_ADAPTIVE_MAX: "6", TORNADE_STANDBY_ADAPTIVE_MAX_COST_PER_HOUR: "0.5", TORNADE_STANDBY_ADAPTIVE_WINDOW_MINUTES: "30" });
    const [adaptive, fixed] = setup?.targets ?? [];
    expect(adaptive?.adaptive).toMatchObject({ max: 6, maxCostPerHour: 0.5 });
    // 1 vCPU and 2 GiB on Fargate x86_64 at the default prices: 0.04048 + 2 × 0.004445 $/h.
    expect(adaptive?.adaptive?.costPerHour).toBeCloseTo(0.04937, 5);
    expect(fixed).toMatchObject({ count: 2 });
    expect(fixed?.adaptive).toBeUndefined();
    expect(setup?.adaptiveWindowMs).toBe(30 * 60_000);

    const file = join(dir, "adaptive.json");
    writeFileSync(file, JSON.stringify({ standby: { adaptive: { max: 4 }, shapes: [{ backend: "FARGATE", count: "adaptive", adaptive: { max: 12, maxCostPerHour: 2 } }, { backend: "FARGATE_SPOT", count: "adaptive" }] } }));
    const fromFile = setupOf(prod, file);
    expect(fromFile?.targets.map((t) => [t.adaptive?.max, t.adaptive?.maxCostPerHour])).toEqual([
      [12, 2],
      [4, undefined],
    ]);
    expect(problems(() => setupOf({ ...prod, TORNADE_STANDBY: "FARGATE=sometimes" }))[0]).toMatch(/=COUNT \(or =adaptive\)/);
  });

  it("counts an adaptive shape at its maximum against limits.maxRunners", () => {
    const full = problems(() => setupOf({ ...prod, TORNADE_MAX_RUNNERS: "10", TORNADE_STANDBY: "FARGATE=adaptive", TORNADE_STANDBY_ADAPTIVE_MAX: "10" }));
    expect(full).toEqual([expect.stringMatching(/^standby\.shapes: 10 standbys fill limits\.maxRunners \(10\)/)]);
    expect(problems(() => setupOf({ ...prod, TORNADE_MAX_RUNNERS: "10", TORNADE_STANDBY: "FARGATE=adaptive", TORNADE_STANDBY_ADAPTIVE_MAX: "9" }))).toEqual([]);
  });

  it("refuses counts that, with the static pool's, fill limits.maxRunners: no job without a standby could start", () => {
    const full = problems(() => setupOf({ ...prod, TORNADE_STANDBY: "FARGATE/X86_64=3,FARGATE_SPOT/X86_64=2", TORNADE_MAX_RUNNERS: "5" }));
    expect(full).toEqual([expect.stringMatching(/^standby\.shapes: 5 standbys fill limits\.maxRunners \(5\).*Fix: .*above 5$/)]);
    expect(setupOf({ ...prod, TORNADE_STANDBY: "FARGATE/X86_64=3,FARGATE_SPOT/X86_64=2", TORNADE_MAX_RUNNERS: "6" })?.targets).toHaveLength(2);
  });
});
