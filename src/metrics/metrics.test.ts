import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../log/logger.js";
import { startSandbox, type Sandbox } from "../sandbox/sandbox.js";
import { runSeed, type SeedRun } from "../../test/support/bed-tornade.js";
import { parseExposition, total, samples, type Sample } from "../../test/support/exposition.js";
import { createTornadeMetrics } from "./metrics.js";

describe("/metrics after the seed workflow ran in the sandbox", () => {
  let sandbox: Sandbox;
  let seed: SeedRun;
  let scraped: Sample[];
  let contentType: string | null;

  beforeAll(async () => {
    sandbox = await startSandbox({ speed: 600, logger: silentLogger, port: 0 });
    seed = await runSeed(sandbox.bed, sandbox.tornade.built.store);
    const res = await fetch(`${sandbox.tornade.adminUrl}/metrics`);
    expect(res.status).toBe(200);
    contentType = res.headers.get("content-type");
    scraped = parseExposition(await res.text());
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it("answers in the Prometheus text format", () => {
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(scraped.every((s) => s.name.startsWith("tornade_"))).toBe(true);
  });

  it("counts one launch per seed job, by backend and arch", () => {
    const launched = (backend: string, arch: string) => total(scraped, "tornade_launches_total", { backend, arch, outcome: "launched" });
    expect(launched("FARGATE", "X86_64")).toBe(1);
    expect(launched("FARGATE", "ARM64")).toBe(1);
    expect(launched("FARGATE_SPOT", "X86_64")).toBe(1);
    expect(launched("CODEBUILD", "X86_64")).toBe(1);
    expect(launched("CODEBUILD", "ARM64")).toBe(1);
    expect(total(scraped, "tornade_launches_total", { outcome: "failed" })).toBe(0);
    expect(total(scraped, "tornade_launch_latency_seconds_count")).toBe(5);
  });

  it("counts decisions and webhooks", () => {
    expect(total(scraped, "tornade_jobs_decided_total", { decision: "launch" })).toBe(5);
    expect(total(scraped, "tornade_jobs_decided_total", { decision: "static" })).toBe(1);
    // queued for all six, in_progress and completed for the five that ran.
    expect(total(scraped, "tornade_webhooks_total", { outcome: "accepted" })).toBeGreaterThanOrEqual(6 + 5 + 5);
    expect(total(scraped, "tornade_webhooks_total", { outcome: "unauthorized" })).toBe(0);
  });

  it("observes the queue time of every job that started, and every runner that stopped", () => {
    expect(total(scraped, "tornade_queue_time_seconds_count")).toBe(seed.launched.length);
    expect(total(scraped, "tornade_queue_time_seconds_sum")).toBeGreaterThan(0);
    // Cumulative buckets: +Inf holds every observation.
    expect(total(scraped, "tornade_queue_time_seconds_bucket", { le: "+Inf" })).toBe(5);
    expect(total(scraped, "tornade_runners_stopped_total", { result: "succeeded" })).toBe(5);
    expect(total(scraped, "tornade_spot_interruptions_total")).toBe(0);
  });

  it("reads jobs by status, queue depth, runner starts held back and GitHub's rate limit at scrape time", () => {
    expect(total(scraped, "tornade_jobs", { status: "completed" })).toBe(5);
    expect(total(scraped, "tornade_jobs", { status: "queued" })).toBe(1); // the type=static job, no static runner here
    expect(samples(scraped, "tornade_queue_depth").map((s) => s.labels["state"]).sort()).toEqual(["dead", "in_flight", "pending"]);
    expect(total(scraped, "tornade_queue_depth", { state: "dead" })).toBe(0);
    // Every backend's line is reported, empty once every job has its runner (test/e2e/limits.test.ts sees one fill).
    expect(samples(scraped, "tornade_launch_waiting").map((s) => [s.labels["backend"], s.value])).toEqual([["FARGATE", 0], ["FARGATE_SPOT", 0], ["CODEBUILD", 0]]);
    const installation = String(sandbox.bed.github.installationId);
    const [remaining] = samples(scraped, "tornade_github_rate_limit_remaining", { installation, resource: "core" });
    const [limit] = samples(scraped, "tornade_github_rate_limit_limit", { installation, resource: "core" });
    expect(limit?.value).toBeGreaterThan(0);
    // Five JIT configs at least were spent from this installation's budget.
    expect(remaining?.value).toBeLessThanOrEqual((limit?.value ?? 0) - 5);
  });
});

describe("observer events without a running controller", () => {
  it("counts fallbacks, Spot interruptions, give-ups, re-runs and failed launches by kind", async () => {
    const m = createTornadeMetrics();
    m.observer.fallback({ from: "FARGATE_SPOT", to: "FARGATE" });
    m.observer.runnerStopped({ backend: "FARGATE_SPOT", arch: "ARM64", succeeded: false, spotInterrupted: true });
    m.observer.gaveUp({ reason: "permanent: no such task definition" });
    m.observer.rerun({ reason: "spot-interrupted" });
    m.observer.rerun({ reason: "spot-interrupted" });
    m.observer.launch({ backend: "FARGATE_SPOT", arch: "X86_64", outcome: "failed", errorKind: "capacity", latencyMs: 1500 });
    const s = parseExposition((await m.scrape()).body);
    expect(total(s, "tornade_fallbacks_total", { from: "FARGATE_SPOT", to: "FARGATE" })).toBe(1);
    expect(total(s, "tornade_spot_interruptions_total", { arch: "ARM64" })).toBe(1);
    expect(total(s, "tornade_runners_stopped_total", { result: "spot-interrupted" })).toBe(1);
    expect(total(s, "tornade_give_ups_total")).toBe(1);
    expect(total(s, "tornade_reruns_total", { reason: "spot-interrupted" })).toBe(2);
    expect(total(s, "tornade_launch_failures_total", { backend: "FARGATE_SPOT", kind: "capacity" })).toBe(1);
    // 1.5 s falls in the 2.5 s bucket but not the 1 s one.
    expect(total(s, "tornade_launch_latency_seconds_bucket", { le: "1" })).toBe(0);
    expect(total(s, "tornade_launch_latency_seconds_bucket", { le: "2.5" })).toBe(1);
    // Without a source the scrape-time gauges are empty rather than failing.
    expect(samples(s, "tornade_jobs")).toEqual([]);
  });
});
