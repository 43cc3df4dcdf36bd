/**
 * The scaleSet stage's summaries (bench/scale-set-calls.ts, bench/report.ts): which kind each GitHub call is, calls
 * per job and per idle hour, and the table rows that put scale-set mode beside webhook mode. Plain values; the routes
 * are the test bed's own (the Go client's paths), so a route renamed there shows up here as a call of no kind.
 */
import { describe, expect, it } from "vitest";
import { scaleSetRows } from "../../bench/report.js";
import { callKind, callsByKind, callsPerHour, callsPerJob, kindsLine } from "../../bench/scale-set-calls.js";
import type { ScaleSetRateResult, ScaleSetResult } from "../../bench/scale-set.js";
import { SCALE_SET_ROUTES } from "../../testbed/github/scaleset/client-types.js";

const RSS = "/_apis/runtime/runnerscalesets";

describe("callKind", () => {
  it("names the kind of every route of the scale set service", () => {
    const kinds = Object.fromEntries(Object.keys(SCALE_SET_ROUTES).map((k) => [k, callKind(k)]));
    expect(kinds).toEqual({
      "POST /actions/runner-registration": "tokens",
      "GET /_apis/runtime/runnergroups": "setup",
      [`GET ${RSS}`]: "setup",
      [`POST ${RSS}`]: "setup",
      [`GET ${RSS}/{scaleSetId}`]: "statistics",
      [`PATCH ${RSS}/{scaleSetId}`]: "setup",
      [`DELETE ${RSS}/{scaleSetId}`]: "setup",
      [`POST ${RSS}/{scaleSetId}/sessions`]: "session",
      [`PATCH ${RSS}/{scaleSetId}/sessions/{sessionId}`]: "session",
      [`DELETE ${RSS}/{scaleSetId}/sessions/{sessionId}`]: "session",
      [`GET ${RSS}/{scaleSetId}/messages`]: "poll",
      [`DELETE ${RSS}/{scaleSetId}/messages/{messageId}`]: "acknowledge",
      [`POST ${RSS}/{scaleSetId}/acquirejobs`]: "acquire",
      [`POST ${RSS}/{scaleSetId}/generatejitconfig`]: "jitconfig",
      "GET /_apis/distributedtask/pools/0/agents": "runners",
      "GET /_apis/distributedtask/pools/0/agents/{runnerId}": "runners",
      "DELETE /_apis/distributedtask/pools/0/agents/{runnerId}": "runners",
    });
  });

  it("counts the REST token calls as tokens, a webhook job's JIT config as jitconfig, any other REST call as rest", () => {
    expect(callKind("POST /app/installations/{installation_id}/access_tokens")).toBe("tokens");
    expect(callKind("POST /repos/{owner}/{repo}/actions/runners/registration-token")).toBe("tokens");
    expect(callKind("POST /orgs/{org}/actions/runners/registration-token")).toBe("tokens");
    expect(callKind("POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig")).toBe("jitconfig");
    expect(callKind("GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs")).toBe("rest");
    expect(callKind("POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs")).toBe("rest");
  });
});

describe("calls per job and per hour", () => {
  const window = {
    [`GET ${RSS}/{scaleSetId}/messages`]: 300,
    [`DELETE ${RSS}/{scaleSetId}/messages/{messageId}`]: 290,
    [`POST ${RSS}/{scaleSetId}/acquirejobs`]: 100,
    [`POST ${RSS}/{scaleSetId}/generatejitconfig`]: 100,
    [`GET ${RSS}/{scaleSetId}`]: 20,
    "GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs": 1,
  };

  it("sums the sim's counts by kind, every kind present", () => {
    expect(callsByKind(window)).toEqual({ poll: 300, acknowledge: 290, acquire: 100, jitconfig: 100, statistics: 20, session: 0, tokens: 0, setup: 0, runners: 0, rest: 1 });
  });

  it("divides the window's calls by its jobs, in all and by kind", () => {
    const per = callsPerJob(window, 100);
    expect(per.total).toBe(8.11);
    expect(per.byKind).toMatchObject({ poll: 3, acknowledge: 2.9, acquire: 1, jitconfig: 1, statistics: 0.2, rest: 0.01, session: 0 });
    // A window with no job is not a division by zero: its calls are counted as one job's.
    expect(callsPerJob({ [`GET ${RSS}/{scaleSetId}/messages`]: 3 }, 0).total).toBe(3);
  });

  it("scales an idle window to an hour", () => {
    // Five minutes: 6 polls held 50 s each, 10 statistics rounds 30 s apart.
    const idle = callsPerHour({ [`GET ${RSS}/{scaleSetId}/messages`]: 6, [`GET ${RSS}/{scaleSetId}`]: 10 }, 5);
    expect(idle.total).toBe(192);
    expect(idle.byKind).toMatchObject({ poll: 72, statistics: 120, acknowledge: 0 });
  });

  it("lists the kinds that occurred, largest first", () => {
    expect(kindsLine(callsPerJob(window, 100).byKind)).toBe("poll 3 + acknowledge 2.9 + acquire 1 + jitconfig 1 + statistics 0.2 + rest 0.01");
  });
});

describe("the table's scale-set rows", () => {
  const rate = (ratePerMinute: number, apiPerJob: number): ScaleSetRateResult => ({
    ratePerMinute,
    jobs: 600,
    steadyMinutes: 10,
    apiPerJob,
    byKind: callsByKind({ [`GET ${RSS}/{scaleSetId}/messages`]: 2, [`POST ${RSS}/{scaleSetId}/generatejitconfig`]: 1 }),
    githubCalls: {},
    pickup: { p50S: 97.5, p95S: 131, jobs: 600 },
    modelledColdBootS: 95.2,
    failedJobs: 0,
    spareRunners: 1,
  });
  const result: ScaleSetResult = {
    apiPerJob: 3,
    byKind: rate(60, 3).byKind,
    ratePerMinute: 60,
    pickup: { p50S: 97.5, p95S: 131, jobs: 600 },
    modelledColdBootS: 95.2,
    idle: { ...callsPerHour({ [`GET ${RSS}/{scaleSetId}/messages`]: 6 }, 5), minutes: 5 },
    rates: [rate(60, 3), rate(2, 11.5)],
    shape: "FARGATE/ARM64",
    speed: 10,
  };

  it("puts each rate's calls and pickup beside webhook mode's, and the idle hour", () => {
    const rows = scaleSetRows(result, {
      apiPerJob: { github: 1.02 },
      pickup: { cold: { p50S: 96.1, p95S: 128, jobs: 40 }, modelledColdBootS: 95 },
    });
    expect(rows.map((r) => [r.what, r.value])).toEqual([
      ["scale-set mode: GitHub calls per job at 60 jobs/min (600 jobs), polls included", "3 = poll 2 + jitconfig 1; webhook mode 1.02 at 1 job/s"],
      ["scale-set mode: pickup at 60 jobs/min (600 jobs): p50 / p95", "97.5 / 131 s (boot p50 95.2 s; failed 0; spare runners 1); webhook mode cold 96.1 / 128 s (boot p50 95 s)"],
      ["scale-set mode: GitHub calls per job at 2 jobs/min (600 jobs), polls included", "11.5 = poll 2 + jitconfig 1; webhook mode 1.02 at 1 job/s"],
      ["scale-set mode: pickup at 2 jobs/min (600 jobs): p50 / p95", "97.5 / 131 s (boot p50 95.2 s; failed 0; spare runners 1); webhook mode cold 96.1 / 128 s (boot p50 95 s)"],
      ["scale-set mode: GitHub calls an idle hour, one scale set (5 min measured)", "72 = poll 72"],
    ]);
    expect(rows.every((r) => r.met === null)).toBe(true);
  });

  it("says which webhook figures the run did not measure (--only scaleSet)", () => {
    const values = scaleSetRows(result, {}).map((r) => r.value);
    expect(values[0]).toMatch(/webhook mode: apiPerJob not run$/);
    expect(values[1]).toMatch(/webhook mode: pickup not run$/);
  });
});
