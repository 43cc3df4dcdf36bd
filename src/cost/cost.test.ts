import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSeed, spawnTornade, startBedTornade, type BedTornade } from "../../test/support/bed-tornade.js";
import { systemClock } from "../clock/clock.js";
import { DEFAULT_PRICES, runnerCost } from "../core/cost.js";
import type { LaunchRecord } from "../store/store.js";
import { openSqlite } from "../store/sqlite.js";
import { openDatabase } from "../store/sqlite-driver.js";
import { sqliteStore } from "../store/sqlite-store.js";
import { costReport, formatCostReport, type CostReport } from "./report.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-cost-"));
const storePath = join(dir, "tornade.db");
let launches: LaunchRecord[] = [];
let live: CostReport;

beforeAll(async () => {
  // A seed workflow run by the real controller on the test bed, into a store file the command then reads.
  // 100x, not the default 600x: on a loaded 2-core machine a launch's 120-second in-flight lease is 200 ms of real
  // time at 600x, and a slow StartBuild then counts as interrupted and is launched again (two runners for one job).
  const t: BedTornade = await startBedTornade({ storePath, speed: 100 });
  try {
    const seed = await runSeed(t.bed, t.tornade.built.store);
    const store = t.tornade.built.store;
    launches = (await Promise.all(seed.launched.map((id) => store.listLaunches(id)))).flat();
    const now = t.clock.now();
    live = await costReport(store, { since: now - 3_600_000, until: now, prices: DEFAULT_PRICES });
  } finally {
    await t.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("costReport over a sandbox run's store", () => {
  it("has one row per backend and arch of the seed, one job and one runner each", () => {
    expect(live.rows.map((r) => `${r.backend}/${r.arch}`)).toEqual(["FARGATE/X86_64", "FARGATE/ARM64", "FARGATE_SPOT/X86_64", "CODEBUILD/X86_64", "CODEBUILD/ARM64"]);
    for (const r of live.rows) expect([r.jobs, r.runners]).toEqual([1, 1]);
    expect(live.total.jobs).toBe(5);
    expect(live.stillRunning).toBe(0);
    // The seed names no sizes: every runner is priced at the assumed size, and the report says so.
    expect(live.assumedSizes).toBe(5);
    expect(live.notes.join("\n")).toMatch(/assumedTask/);
  });

  it("counts each runner's minutes from its start to its stop, at least the job's own duration", () => {
    const minutes = Object.fromEntries(live.rows.map((r) => [`${r.backend}/${r.arch}`, r.runnerMinutes]));
    // Seed durations: Fargate jobs 120 s, the Spot job 300 s, CodeBuild jobs 240 s (src/sandbox/scenario.ts).
    expect(minutes["FARGATE/X86_64"]).toBeGreaterThanOrEqual(2);
    expect(minutes["FARGATE_SPOT/X86_64"]).toBeGreaterThanOrEqual(5);
    expect(minutes["CODEBUILD/ARM64"]).toBeGreaterThanOrEqual(4);
    const seconds = launches.map((l) => ((l.stoppedAt ?? 0) - (l.startedAt ?? 0)) / 1000);
    expect(live.total.runnerMinutes).toBeCloseTo(seconds.reduce((a, s) => a + s, 0) / 60, 6);
  });

  it("prices every runner with the model and sums to the total", () => {
    const expected = launches.reduce(
      (a, l) => a + runnerCost({ backend: l.backend, arch: l.arch, seconds: ((l.stoppedAt ?? 0) - (l.startedAt ?? 0)) / 1000 }, DEFAULT_PRICES).awsCost,
      0,
    );
    expect(live.total.awsCost).toBeCloseTo(expected, 10);
    expect(live.total.githubHostedCost).toBeGreaterThan(live.total.awsCost);
    expect(live.total.saving).toBeCloseTo(live.total.githubHostedCost - live.total.awsCost, 10);
  });

  it("leaves out runners that stopped before the window", async () => {
    const store = sqliteStore(openSqlite(storePath), systemClock);
    try {
      const latest = Math.max(...launches.map((l) => l.stoppedAt ?? 0));
      const r = await costReport(store, { since: latest + 1, until: latest + 2, prices: DEFAULT_PRICES });
      expect(r.total.runners).toBe(0);
      expect(formatCostReport(r)).toMatch(/no runners in this window/);
    } finally {
      await store.close();
    }
  });
});

describe("tornade cost (spawned)", () => {
  it("prints the table with every backend and the saving", async () => {
    const r = await spawnTornade(["cost", "--since", "1d"], { TORNADE_STORE_PATH: storePath }, dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const b of ["FARGATE ", "FARGATE_SPOT", "CODEBUILD"]) expect(r.stdout).toContain(b);
    expect(r.stdout).toMatch(/^total\s+5\s+5\s/m);
    expect(r.stdout).toMatch(/saving \$[0-9.]+ \(\d+ % of the GitHub-hosted price\)/);
    // The default cost ceilings, next to the figures they bound.
    expect(r.stdout).toMatch(/^ceilings: at most 50 runners at once; per runner at most 8 vCPU, 32768 MiB of memory and 100 GiB of disk on Fargate, CodeBuild size large\./m);
  });

  it("prints JSON with configured prices: a 50 % Spot discount and another region's warning", async () => {
    const file = join(dir, "tornade.yaml");
    writeFileSync(file, `aws:\n  region: eu-west-1\nprices:\n  spotDiscount: 0.5\n  githubHosted:\n    X86_64: 0.008\nlimits:\n  maxRunners: 7\n  perBackend: { CODEBUILD: 3 }\n`);
    const r = await spawnTornade(["cost", "--json", "--config", file], { TORNADE_STORE_PATH: storePath }, dir);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CostReport;
    expect(report.prices.spotDiscount).toBe(0.5);
    expect(report.prices.githubHostedPerMinute).toEqual({ X86_64: 0.008, ARM64: 0.005 });
    const spot = report.rows.find((x) => x.backend === "FARGATE_SPOT");
    const fargate = report.rows.find((x) => x.backend === "FARGATE" && x.arch === "X86_64");
    // Spot at half price: per billed minute, half of on-demand x86.
    expect((spot?.awsCost ?? 0) / (spot?.billedMinutes ?? 1)).toBeCloseTo(((fargate?.awsCost ?? 0) / (fargate?.billedMinutes ?? 1)) * 0.5, 10);
    expect(report.notes.join("\n")).toMatch(/prices are us-east-1's but tornade runs in eu-west-1/);
    expect(report.ceilings).toEqual({ maxRunners: 7, perBackend: { CODEBUILD: 3 }, maxCpu: 8, maxMemory: 32768, maxDisk: 100, maxCodeBuildSize: "large" });
  });

  it("accepts --since 0d, and a window reaching back past the store's first job starts there and says so", async () => {
    const zero = await spawnTornade(["cost", "--since", "0d", "--json"], { TORNADE_STORE_PATH: storePath }, dir);
    expect(zero.code).toBe(0);
    const now = JSON.parse(zero.stdout) as CostReport;
    expect(now.requestedSince).toBe(now.until);
    const all = await spawnTornade(["cost", "--since", "520w"], { TORNADE_STORE_PATH: storePath }, dir);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^total\s+5\s+5\s/m);
    const first = new Date(live.firstRecordAt ?? 0).toISOString();
    expect(all.stdout).toContain(`runners from ${first} to `);
    expect(all.stdout).toContain(`note: the window reaches back past the store's first job (${first}), so the report starts there`);
  });

  it("refuses a negative, an absurd or a malformed --since with exit 2, saying what it accepts, without the usage text", async () => {
    const cases: Array<[string, RegExp]> = [
      ["-1d", /--since counts back from now and cannot be negative; got "-1d"\. Fix: give how far back, e.g\. 1d/],
      ["99999w", /--since 99999w reaches back further than 520w \(ten years\)\. Fix: give 520w or less/],
      ["a week", /--since must be a number and a unit: s, m, h, d or w .*from 0s to 520w; got "a week"/],
    ];
    for (const [since, message] of cases) {
      const r = await spawnTornade(["cost", "--since", since], { TORNADE_STORE_PATH: storePath }, dir);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/ambiguous|usage:/);
    }
  });

  it("names the path and the fix when there is no store, when nothing is configured, and when the file is not tornade's", async () => {
    const fix = /\. Fix: point TORNADE_STORE_PATH \(or store\.path\) at the SQLite file tornade serve writes/;
    const missing = await spawnTornade(["cost"], { TORNADE_STORE_PATH: join(dir, "nope.db") }, dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`tornade cost: ${join(dir, "nope.db")} does not exist: there is no store there`);
    expect(missing.stderr).toMatch(fix);

    // Nothing configured: the default store, tornade.db in the working directory, is looked for there.
    const empty = mkdtempSync(join(dir, "empty-"));
    const nothing = await spawnTornade(["cost"], {}, empty);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain(`tornade cost: ${join(empty, "tornade.db")} does not exist: there is no store there`);
    expect(nothing.stderr).toMatch(fix);

    const sandbox = await spawnTornade(["cost"], { TORNADE_SANDBOX: "true" }, dir);
    expect(sandbox.code).toBe(1);
    expect(sandbox.stderr).toMatch(/there is no store to read: store\.path is ":memory:" \(the sandbox keeps its store in memory.*\)\. Fix: set TORNADE_STORE_PATH/);

    const text = join(dir, "notes.db");
    writeFileSync(text, "not a database\n");
    const notSqlite = await spawnTornade(["cost"], { TORNADE_STORE_PATH: text }, dir);
    expect(notSqlite.code).toBe(1);
    expect(notSqlite.stderr).toContain(`tornade cost: ${text} is not a SQLite database`);
    expect(notSqlite.stderr).toMatch(fix);

    const other = join(dir, "other.db");
    const foreign = openDatabase(other);
    foreign.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
    foreign.close();
    const before = readFileSync(other);
    const notOurs = await spawnTornade(["cost"], { TORNADE_STORE_PATH: other }, dir);
    expect(notOurs.code).toBe(1);
    expect(notOurs.stderr).toContain(`tornade cost: ${other} is a SQLite database but not tornade's store (it has no jobs table)`);
    // Looked at read-only: tornade's tables were not written into someone else's database.
    expect(readFileSync(other).equals(before)).toBe(true);
  });
});
