/**
 * `npm run bench -- --quick --json FILE` runs end to end and writes every key the issue asks for, each a finite
 * number, and a floor that follows from the limits. No time is asserted: the figures depend on the machine.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { floorSeconds } from "../../bench/floor.js";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "tornade-bench-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("floor", () => {
  it("is set by GitHub's 180 JIT configs a minute for the bursts, by Fargate when GitHub allows more", () => {
    const gh = { pointsPerMinute: 900, writeCost: 5 };
    expect(floorSeconds({ FARGATE: 0, FARGATE_SPOT: 256, CODEBUILD: 0, github: gh })).toEqual({ seconds: 60, boundBy: "GitHub 180 JIT configs/min" });
    expect(floorSeconds({ FARGATE: 400, FARGATE_SPOT: 200, CODEBUILD: 400, github: gh }).seconds).toBe(300);
    expect(floorSeconds({ FARGATE: 500, FARGATE_SPOT: 0, CODEBUILD: 0, github: { pointsPerMinute: 1e6, writeCost: 5 } })).toEqual({ seconds: 24, boundBy: "ECS RunTask 20/s" });
    // CodeBuild publishes no StartBuild rate: its JIT parameters' PutParameter is the AWS bound.
    expect(floorSeconds({ FARGATE: 0, FARGATE_SPOT: 0, CODEBUILD: 1000, github: { pointsPerMinute: 1e6, writeCost: 5 } })).toEqual({ seconds: 24, boundBy: "Parameter Store 40/s" });
  });
});

describe("npm run bench -- --quick --json FILE", () => {
  it("writes every key of the report as a finite number", () => {
    const file = join(dir, "bench.json");
    const r = spawnSync(process.execPath, ["bin/run-ts.js", "bench/cli.ts", "--quick", "--json", file, "--results", dir], { cwd: root, encoding: "utf8", timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/intake p50 \/ p99/);
    const j = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, unknown>>;
    const num = (v: unknown) => expect(typeof v === "number" && Number.isFinite(v), String(v)).toBe(true);
    for (const k of ["p50Ms", "p99Ms", "maxRate"]) num(j["intake"]?.[k]);
    for (const k of ["p50Ms", "p99Ms"]) num(j["overhead"]?.[k]);
    for (const k of ["p50Ms", "p99Ms"]) num(j["overhead10"]?.[k]);
    expect(j["overhead10"]?.["ratePerSecond"]).toBe(10);
    for (const k of ["github", "aws", "runnerAws", "ssm"]) num(j["apiPerJob"]?.[k]);
    for (const b of ["matrix256", "burst1000"]) {
      const burst = j["burst"]?.[b] as Record<string, unknown>;
      for (const k of ["seconds", "floorSeconds", "ratio"]) num(burst[k]);
      expect(burst["launched"]).toBe(burst["jobs"]);
    }
    for (const k of ["rssMb", "idleRssMb", "cpuMsPer1000Jobs", "rssMbAfter100k"]) num(j["footprint"]?.[k]);
    // The I/O floor did a job's whole I/O for every job (a runner launched for each), in both of its runs.
    const floor = j["ioFloor"] as { cpuMsPer1000Jobs: number; jobs: number; launched: number; overhead10: Record<string, number>; intake: Record<string, number> };
    num(floor.cpuMsPer1000Jobs);
    for (const k of ["p50Ms", "p99Ms", "maxRate"]) num(floor.intake[k]);
    for (const k of ["p50Ms", "p99Ms"]) num(floor.overhead10[k]);
    expect(floor.launched).toBe(floor.jobs);
    expect(floor.overhead10["launched"]).toBe(floor.overhead10["jobs"]);
    for (const k of ["helpMs", "explainMs"]) num(j["cli"]?.[k]);
    num(j["sandboxSeedSeconds"]);
    const pickup = j["pickup"] as Record<string, Record<string, unknown>>;
    for (const k of ["cold", "warm"]) for (const q of ["p50S", "p95S"]) num(pickup[k]?.[q]);
    num(pickup["hitRate"]);
    num(pickup["idleRunnerMinutesPerJob"]);
    // Scale-set mode: calls per job with polls, pickup, and what they were; at least a JIT config and the message
    // that brought the job per job, and polls even with nothing to do.
    const scaleSet = j["scaleSet"] as { apiPerJob: number; pickup: Record<string, unknown>; byKind: Record<string, number>; idle: { byKind: Record<string, number> }; rates: unknown[] };
    num(scaleSet.apiPerJob);
    for (const q of ["p50S", "p95S"]) num(scaleSet.pickup[q]);
    expect(scaleSet.pickup["jobs"]).toBeGreaterThan(0);
    expect(scaleSet.apiPerJob).toBeGreaterThanOrEqual(2);
    expect(scaleSet.byKind["jitconfig"]).toBeGreaterThan(0);
    expect(scaleSet.byKind["poll"]).toBeGreaterThan(0);
    expect(scaleSet.idle.byKind["poll"]).toBeGreaterThan(0);
    expect(scaleSet.rates).toHaveLength(2);
    // Cold and warm both measured, side by side: jobs of each shape arrived in the steady part.
    expect(pickup["cold"]?.["jobs"]).toBeGreaterThan(0);
    expect(pickup["warm"]?.["jobs"]).toBeGreaterThan(0);
    // At least one GitHub call and two AWS calls per launched job (the JIT parameter, then the launch): the floor.
    expect(j["apiPerJob"]?.["github"]).toBeGreaterThanOrEqual(1);
    expect(j["apiPerJob"]?.["aws"]).toBeGreaterThanOrEqual(2);
    // Each runner read its parameter (or CodeBuild did for it) and deleted it.
    expect(j["apiPerJob"]?.["runnerAws"]).toBeGreaterThanOrEqual(2);
  }, 660_000);
});

describe("npm run bench -- --only STAGES", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ["bin/run-ts.js", "bench/cli.ts", ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });

  it("runs only the stages named, keeping the report's format for them", () => {
    const file = join(dir, "only.json");
    const r = run("--only", "cli", "--json", file, "--results", dir);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(Object.keys(j).sort()).toEqual(["cli", "machine"]);
    expect(r.stdout).toMatch(/tornade --help/);
    expect(r.stdout).not.toMatch(/intake/);
  }, 150_000);

  it("refuses a stage it does not have, naming the ones it has", () => {
    const r = run("--only", "pickup,warp");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown stage warp; stages are intake, overhead, apiPerJob, burst, footprint, ioFloor, sandbox, cli, pickup, scaleSet/);
  });
});
