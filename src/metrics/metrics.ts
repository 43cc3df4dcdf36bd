/**
 * tornade's Prometheus metrics (prom-client, on a Registry of its own so nothing else in the process leaks into
 * /metrics). Counters and histograms are fed by the ControllerObserver as things happen; gauges (jobs by status, queue
 * depth, runner starts held back, GitHub rate limit remaining) are read from the running tornade at scrape time, so
 * they are never stale and cost nothing between scrapes.
 *
 * Names follow Prometheus's naming practices (https://prometheus.io/docs/practices/naming/): a `tornade_` prefix,
 * base units (seconds), `_total` on counters.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ControllerObserver } from "../controller/observer.js";
import type { Backend } from "../core/types.js";
import type { RateLimitObservation } from "../github/rate-limits.js";
import type { QueueDepth } from "../queue/queue.js";
import type { JobStatus } from "../core/types.js";
import type { StandbysView } from "../dashboard/standbys.js";

/** What the scrape-time gauges read; the server wires it to `ctx.built` once the controller is built. */
export interface MetricsSource {
  countJobsByStatus(): Promise<Record<JobStatus, number>>;
  queueDepth(): Promise<QueueDepth>;
  rateLimits(): RateLimitObservation[];
  /** Runner starts the launch gate holds back, per backend (controller/launch-gate.ts `waiting`). */
  launchWaiting(): Record<Backend, number>;
  /**
   * Standbys per shape, their idle cost and the runners' cost, over the rows the dashboard reads (dashboard/state.ts:
   * the newest jobs, every standby row); absent: no standby gauges.
   */
  standbys?(): Promise<{ readonly standbys: StandbysView; readonly runnerUsd: number }>;
}

/**
 * Launch latency (job arrival → provider answer) buckets: a launch is one JIT config call and one RunTask/StartBuild,
 * normally well under a few seconds, stretched to minutes by rate-limit waits.
 */
const LAUNCH_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/**
 * Queue time (GitHub queued → job started on a runner) buckets: the seed's article reports about 30 s for a runner to
 * start; Fargate and CodeBuild provisioning put most jobs between 15 s and 2 minutes.
 */
const QUEUE_BUCKETS = [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800];

export interface TornadeMetrics {
  readonly registry: Registry;
  readonly observer: ControllerObserver;
  /** Where the scrape-time gauges read from; until set they report nothing. */
  setSource(source: MetricsSource): void;
  /** The exposition text and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

export function createTornadeMetrics(): TornadeMetrics {
  const registry = new Registry();
  const registers = [registry];
  let source: MetricsSource | undefined;

  const webhooks = new Counter({ name: "tornade_webhooks_total", help: "Webhook requests by what became of them.", labelNames: ["outcome"], registers });
  const decisions = new Counter({ name: "tornade_jobs_decided_total", help: "Jobs first taken in, by decision (launch, static, rejected).", labelNames: ["decision"], registers });
  const launches = new Counter({ name: "tornade_launches_total", help: "Launch attempts by backend, arch and outcome (launched, failed).", labelNames: ["backend", "arch", "outcome"], registers });
  const launchErrors = new Counter({ name: "tornade_launch_failures_total", help: "Failed launch attempts by backend and error kind.", labelNames: ["backend", "kind"], registers });
  const latency = new Histogram({ name: "tornade_launch_latency_seconds", help: "From the job's arrival at tornade to the provider's answer to the launch.", labelNames: ["backend"], buckets: LAUNCH_BUCKETS, registers });
  const queueTime = new Histogram({ name: "tornade_queue_time_seconds", help: "From GitHub queueing a job to the job starting on a runner.", buckets: QUEUE_BUCKETS, registers });
  const fallbacks = new Counter({ name: "tornade_fallbacks_total", help: "Launches that replaced a failed one on another backend.", labelNames: ["from", "to"], registers });
  const stopped = new Counter({ name: "tornade_runners_stopped_total", help: "Runner tasks and builds that ended, by backend, arch and result.", labelNames: ["backend", "arch", "result"], registers });
  const spot = new Counter({ name: "tornade_spot_interruptions_total", help: "Fargate Spot tasks ended by a Spot interruption.", labelNames: ["arch"], registers });
  const jobStarts = new Counter({
    name: "tornade_job_runner_starts_total",
    help: "Jobs' runner starts that reached their provider, by shape and start: warm (handed to a standby) or cold. Hit rate = warm / all.",
    labelNames: ["shape", "start"],
    registers,
  });
  const gaveUp = new Counter({ name: "tornade_give_ups_total", help: "Jobs tornade gave up on (a permanent error or too many attempts).", registers });
  const reruns = new Counter({ name: "tornade_reruns_total", help: "Jobs tornade asked GitHub to re-run, by reason.", labelNames: ["reason"], registers });
  const violations = new Counter({
    name: "tornade_policy_violations_total",
    help: "Policy violations tornade saw but could not prevent, by kind (runner-taken: a job tornade refuses took a runner launched for another job).",
    labelNames: ["kind"],
    registers,
  });
  // Present at 0 from the start, so an alert on its increase sees the first one.
  violations.inc({ kind: "runner-taken" }, 0);

  new Gauge({
    name: "tornade_jobs",
    help: "Stored jobs by GitHub status.",
    labelNames: ["status"],
    registers,
    async collect() {
      this.reset();
      if (!source) return;
      for (const [status, n] of Object.entries(await source.countJobsByStatus())) this.set({ status }, n);
    },
  });
  new Gauge({
    name: "tornade_queue_depth",
    help: "Work items in tornade's queue: pending, in flight (leased) and dead (dead letters).",
    labelNames: ["state"],
    registers,
    async collect() {
      this.reset();
      if (!source) return;
      const d = await source.queueDepth();
      this.set({ state: "pending" }, d.pending);
      this.set({ state: "in_flight" }, d.inFlight);
      this.set({ state: "dead" }, d.dead);
    },
  });
  new Gauge({
    name: "tornade_launch_waiting",
    help: "Runner starts this process's launch gate holds back, per backend: jobs (and static pools) waiting for room under the runner limits, behind older requests, or for the AWS and GitHub pacing.",
    labelNames: ["backend"],
    registers,
    collect() {
      this.reset();
      if (!source) return;
      for (const [backend, n] of Object.entries(source.launchWaiting())) this.set({ backend }, n);
    },
  });
  // From the x-ratelimit-* headers of answers already received (no extra API call): "Rate limits for the REST API",
  // https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
  const rateGauge = (name: string, help: string, pick: (o: RateLimitObservation) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["installation", "resource"],
      registers,
      collect() {
        this.reset();
        for (const o of source?.rateLimits() ?? []) this.set({ installation: o.key, resource: o.resource }, pick(o));
      },
    });
  const standbys = standbyGauges(registers, () => source);
  rateGauge("tornade_github_rate_limit_remaining", "GitHub API requests left in the current window, per installation (\"app\" for App JWT calls).", (o) => o.remaining);
  rateGauge("tornade_github_rate_limit_limit", "GitHub API requests allowed per window, per installation.", (o) => o.limit);
  rateGauge("tornade_github_rate_limit_reset_seconds", "When the GitHub rate-limit window resets, Unix seconds.", (o) => Math.round(o.resetAt / 1000));

  // Every method is a counter bump: cheap, and it must never throw into the controller.
  const safe = (f: () => void) => {
    try {
      f();
    } catch {
      /* a metric is never worth failing a job for */
    }
  };
  const observer: ControllerObserver = {
    webhook: (outcome) => safe(() => webhooks.inc({ outcome })),
    jobDecided: (kind) => safe(() => decisions.inc({ decision: kind })),
    launch: (e) =>
      safe(() => {
        launches.inc({ backend: e.backend, arch: e.arch, outcome: e.outcome });
        if (e.outcome === "failed") launchErrors.inc({ backend: e.backend, kind: e.errorKind ?? "unknown" });
        latency.observe({ backend: e.backend }, e.latencyMs / 1000);
      }),
    fallback: (e) => safe(() => fallbacks.inc({ from: e.from, to: e.to })),
    runnerStopped: (e) =>
      safe(() => {
        stopped.inc({ backend: e.backend, arch: e.arch, result: e.spotInterrupted ? "spot-interrupted" : e.succeeded ? "succeeded" : "failed" });
        if (e.spotInterrupted) spot.inc({ arch: e.arch });
      }),
    jobRunnerStarted: (e) => safe(() => jobStarts.inc({ shape: e.shape, start: e.warm ? "warm" : "cold" })),
    jobStarted: (e) => safe(() => queueTime.observe(e.queueSeconds)),
    gaveUp: () => safe(() => gaveUp.inc()),
    rerun: (e) => safe(() => reruns.inc({ reason: e.reason })),
    policyViolation: (e) => safe(() => violations.inc({ kind: e.kind })),
  };

  return {
    registry,
    observer,
    setSource(s) {
      source = s;
    },
    async scrape() {
      await standbys.refresh();
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/**
 * Standbys at scrape time (docs/standby.md, "Seen and priced"), read once per scrape however many gauges ask: per
 * shape how many are booting, waiting and retiring now, how many were handed off and the hit rate, their idle time
 * and its cost, next to the runners' cost over the same rows.
 */
function standbyGauges(registers: Registry[], source: () => MetricsSource | undefined): { refresh(): Promise<void> } {
  let latest: { readonly standbys: StandbysView; readonly runnerUsd: number } | undefined;
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, v: { readonly standbys: StandbysView; readonly runnerUsd: number }) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        if (latest) fill(this, latest);
      },
    });
  gauge("tornade_standbys", "Standby runners now, per shape and state: booting (launched, not running), waiting (running, free), retiring (being recycled).", ["shape", "state"], (g, v) => {
    for (const s of v.standbys.shapes) {
      g.set({ shape: s.shape, state: "booting" }, s.booting);
      g.set({ shape: s.shape, state: "waiting" }, s.waiting);
      g.set({ shape: s.shape, state: "retiring" }, s.retiring);
    }
  });
  gauge("tornade_standby_handoffs", "Standbys handed to a job, per shape, among the rows the dashboard reads (the counter tornade_job_runner_starts_total{start=\"warm\"} counts them as they happen).", ["shape"], (g, v) => {
    for (const s of v.standbys.shapes) g.set({ shape: s.shape }, s.handedOff);
  });
  gauge("tornade_standby_hit_ratio", "Jobs of a shape with standbys served warm (by a standby) / all of them that got a runner, among the jobs the dashboard reads.", ["shape"], (g, v) => {
    for (const s of v.standbys.shapes) if (s.hitRate !== null) g.set({ shape: s.shape }, s.hitRate);
  });
  gauge("tornade_standby_idle_seconds", "Seconds standbys waited, booted and serving nobody, per shape, among the rows the dashboard reads.", ["shape"], (g, v) => {
    for (const s of v.standbys.shapes) g.set({ shape: s.shape }, s.idleMinutes * 60);
  });
  gauge("tornade_cost_usd", "Estimated AWS cost (core/cost.ts prices) over the rows the dashboard reads: kind=runners (jobs' runners) and kind=standby_idle (standbys' idle time).", ["kind"], (g, v) => {
    g.set({ kind: "runners" }, v.runnerUsd);
    g.set({ kind: "standby_idle" }, v.standbys.idleUsd);
  });
  return {
    // One store read per scrape, before the gauges are collected.
    async refresh() {
      latest = await source()?.standbys?.();
    },
  };
}
