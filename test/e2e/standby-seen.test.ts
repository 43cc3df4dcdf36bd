/**
 * Standbys seen and priced (issue 14, point 4; docs/standby.md): `tornade serve` with one standby of a shape runs a job
 * of that shape on it (warm) and a job of another shape cold; then /metrics, the dashboard's /api/state and
 * `tornade cost` (spawned, over the store file) each show the standbys per shape, the hit rate and the standbys' idle
 * cost beside the runners' cost.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standbyShapeKey } from "../../src/core/standby.js";
import type { CostReport } from "../../src/cost/report.js";
import type { DashboardView } from "../../src/dashboard/model.js";
import { until } from "../../testbed/until.js";
import { spawnTornade, startBedTornade, type BedTornade } from "../support/bed-tornade.js";
import { parseExposition, total, type Sample } from "../support/exposition.js";

const WARM = ["self-hosted", "tornade", "runs-on=FARGATE", "arch=X86_64"];
const COLD = ["self-hosted", "tornade", "runs-on=FARGATE", "arch=ARM64"];
const dir = mkdtempSync(join(tmpdir(), "tornade-standby-seen-"));
const storePath = join(dir, "tornade.db");

let t: BedTornade;
// What the configured shape resolves to (the sandbox's task definitions name no size).
const shape = standbyShapeKey({ backend: "FARGATE", arch: "X86_64", image: "default", runnerLabels: [] });
let scraped: Sample[];
let state: DashboardView;

const completed = (id: number) => until(`job ${id} to complete`, () => t.bed.github.control.getJob(id)?.status === "completed", 30_000);

beforeAll(async () => {
  t = await startBedTornade({ speed: 60, storePath, env: { TORNADE_STANDBY: "FARGATE/X86_64=1" } });
  await until("the standby to wait", async () => (await t.tornade.built.controller.standbys?.rows())?.some((r) => r.state === "running"), 30_000);
  const run = t.bed.github.control.createRun({ jobs: [{ name: "warm", labels: WARM, durationSeconds: 30 }, { name: "cold", labels: COLD, durationSeconds: 30 }] });
  for (const j of run.jobs) await completed(Number(j.id));
  // The runners' tasks stop after their jobs: wait for their rows, so the cost below has every runner's end.
  await until("the runners' rows to stop", async () => {
    const rows = await Promise.all(run.jobs.map((j) => t.tornade.built.store.listLaunches(Number(j.id))));
    return rows.flat().every((l) => l.state === "stopped");
  }, 30_000);
  scraped = parseExposition(await (await fetch(`${t.tornade.adminUrl}/metrics`)).text());
  state = (await (await fetch(`${t.tornade.adminUrl}/api/state`)).json()) as DashboardView;
}, 120_000);

afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("standbys seen and priced", () => {
  it("/metrics counts the warm and the cold start per shape, the standbys by state, the hit rate and the idle cost", () => {
    expect(total(scraped, "tornade_job_runner_starts_total", { shape, start: "warm" })).toBe(1);
    expect(total(scraped, "tornade_job_runner_starts_total", { shape, start: "cold" })).toBe(0);
    expect(total(scraped, "tornade_job_runner_starts_total", { start: "cold" })).toBe(1);
    // The replacement of the standby the job took: booting or waiting, one in all.
    expect(total(scraped, "tornade_standbys", { shape, state: "booting" }) + total(scraped, "tornade_standbys", { shape, state: "waiting" })).toBe(1);
    expect(total(scraped, "tornade_standby_handoffs", { shape })).toBe(1);
    expect(total(scraped, "tornade_standby_hit_ratio", { shape })).toBe(1);
    expect(total(scraped, "tornade_standby_idle_seconds", { shape })).toBeGreaterThan(0);
    expect(total(scraped, "tornade_cost_usd", { kind: "standby_idle" })).toBeGreaterThan(0);
    expect(total(scraped, "tornade_cost_usd", { kind: "runners" })).toBeGreaterThan(0);
  });

  it("the dashboard's state has the same standbys, and keeps them out of the runners' rows", () => {
    expect(state.standbys).toMatchObject({ warmJobs: 1, coldJobs: 0, hitRate: 1 });
    expect(state.standbys.shapes).toEqual([expect.objectContaining({ shape, backend: "FARGATE", arch: "X86_64", handedOff: 1, warmJobs: 1, hitRate: 1 })]);
    expect(state.standbys.idleUsd).toBeCloseTo(total(scraped, "tornade_cost_usd", { kind: "standby_idle" }), 4);
    // Two jobs, two runners: the standby rows are not counted as launches of a job.
    expect(state.backends.reduce((n, b) => n + b.launches, 0)).toBe(2);
  });

  it("tornade cost shows the standbys' idle time and cost beside the runners', and the jobs served warm", async () => {
    const r = await spawnTornade(["cost", "--since", "1d"], { TORNADE_STORE_PATH: storePath }, dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^total\s+2\s+2\s/m);
    expect(r.stdout).toMatch(/^standby shape\s+standbys\s+took a job\s+idle-min\s+idle AWS$/m);
    expect(r.stdout).toContain(`${shape}  `);
    expect(r.stdout).toContain("1 of 1 jobs served warm (hit rate 100 %)");
    expect(r.stdout).toMatch(/^AWS: runners \$[0-9.]+ \+ standby idle \$[0-9.]+ = \$[0-9.]+; saving net of idle -?\$?[0-9.-]+/m);
    const json = JSON.parse((await spawnTornade(["cost", "--json"], { TORNADE_STORE_PATH: storePath }, dir)).stdout) as CostReport;
    // The cold job's shape has no standbys: it is no miss.
    expect(json.standbys).toMatchObject({ warmJobs: 1, coldJobs: 0, hitRate: 1 });
    const row = json.standbys.rows.find((x) => x.shape === shape);
    expect(row).toMatchObject({ backend: "FARGATE", arch: "X86_64", served: 1 });
    expect(row?.standbys).toBeGreaterThanOrEqual(2);
    expect(json.standbys.total.awsCost).toBeGreaterThan(0);
  });
});
