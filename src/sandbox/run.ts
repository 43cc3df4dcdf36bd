/**
 * `tornade sandbox`: run a scenario through the real controller on the test bed until every job has completed or been
 * decided, reporting each job as it settles.
 */
import { policyOf } from "../config/index.js";
import { decideLabels } from "../core/decision.js";
import type { Logger } from "../log/logger.js";
import { startSandbox, type QueuedJob, type Sandbox } from "./sandbox.js";
import { isSettled, reportJob, totals, type JobReport, type Totals } from "./report.js";
import type { Scenario } from "./scenario.js";

export interface RunScenarioOptions {
  readonly speed: number;
  readonly logger: Logger;
  /** Called once per job, when it settles. */
  readonly onSettled?: (report: JobReport, settled: number, total: number, simulatedSeconds: number) => void;
  /** Simulated time after which the run stops and still-pending jobs are reported as such; default 3 hours. */
  readonly timeLimitMs?: number;
}

export interface ScenarioResult {
  readonly jobs: JobReport[];
  readonly totals: Totals;
}

export const DEFAULT_TIME_LIMIT_MS = 3 * 3600_000;

/** After the jobs settle, how long (simulated) runners get to exit and tasks to stop before leftovers are counted. */
const DRAIN_MS = 10 * 60_000;
/** Real milliseconds between looks at the state. */
const POLL_MS = 25;

/**
 * Looking at every open job every 25 ms took more CPU than the controller at 1,000 jobs (a CPU profile: the looks and
 * their garbage were about 40 % of the process); one look at 1,000 jobs takes 20–130 ms on the 2-core machine. Look
 * less often the more jobs are open: every 250 ms at 1,000.
 */
const pollInterval = (openJobs: number) => Math.min(250, Math.max(POLL_MS, openJobs / 4));

export async function runScenario(scenario: Scenario, opts: RunScenarioOptions): Promise<ScenarioResult> {
  const env = scenario.standby === undefined ? {} : { env: { TORNADE_STANDBY: scenario.standby } };
  const sandbox = await startSandbox({ speed: opts.speed, logger: opts.logger, port: 0, ...env });
  try {
    const wallStart = performance.now();
    await standbysWaiting(sandbox);
    const simStart = sandbox.clock.now();
    const queued = await sandbox.queueScenario(scenario);
    const timeLimitMs = opts.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
    const settled = new Set<number>();
    for (;;) {
      // Only unsettled jobs are looked at again: a settled outcome is final, and reading a thousand jobs every round
      // would take the CPU the controller and the simulators need.
      const open = queued.filter((q) => !settled.has(q.jobId));
      const fresh = await Promise.all(open.map((q) => reportFor(sandbox, q)));
      const simSeconds = (sandbox.clock.now() - simStart) / 1000;
      fresh.forEach((r, i) => {
        const id = open[i]?.jobId;
        if (id === undefined || !isSettled(r)) return;
        settled.add(id);
        opts.onSettled?.(r, settled.size, queued.length, simSeconds);
      });
      if (settled.size === queued.length || sandbox.clock.now() - simStart > timeLimitMs) break;
      await new Promise((r) => setTimeout(r, pollInterval(open.length)));
    }
    const reports = await Promise.all(queued.map((q) => reportFor(sandbox, q)));
    const simulatedSeconds = (sandbox.clock.now() - simStart) / 1000;
    const leftovers = await drain(sandbox);
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const timeLimit = { timeLimitSeconds: timeLimitMs / 1000, stoppedAtTimeLimit: settled.size < queued.length };
    return { jobs: reports, totals: totals(reports, { simulatedSeconds, wallSeconds, ...leftovers, ...timeLimit }) };
  } finally {
    await sandbox.close();
  }
}

/**
 * With standbys configured, waits (bounded by the standbys' boot timeout, simulated) until every one the configuration
 * asks for is booted and waiting, so that the run's jobs meet warm standbys, as a job arriving in steady state would.
 */
async function standbysWaiting(sandbox: Sandbox): Promise<void> {
  const manager = sandbox.tornade.built.controller.standbys;
  if (!manager) return;
  // An adaptive shape wants none until jobs arrive: only fixed counts are waited for.
  const wanted = sandbox.tornade.config.standby.shapes.reduce((n, s) => n + (s.count === "adaptive" ? 0 : s.count), 0);
  const until = sandbox.clock.now() + manager.policy.bootTimeoutMs;
  while (sandbox.clock.now() < until) {
    const rows = await manager.rows();
    if (rows.filter((r) => r.state === "running" && r.standby?.status.kind === "free").length >= wanted) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function reportFor(sandbox: Sandbox, q: QueuedJob): Promise<JobReport> {
  const { store } = sandbox.tornade.built;
  const [job, launches] = await Promise.all([store.getJob(q.jobId), store.listLaunches(q.jobId)]);
  const gh = sandbox.bed.github.control.getJob(q.jobId);
  const labels = decideLabels(q.labels, policyOf(sandbox.tornade.config));
  const foreign = labels.kind === "ignored" ? labels.reason : null;
  const github = gh ? { status: gh.status, conclusion: gh.conclusion, createdAt: gh.created_at, startedAt: gh.started_at ?? null } : undefined;
  return reportJob(q.name, q.labels, github, job, launches, foreign);
}

/** The tasks and builds of standbys still free: waiting for the next job by design, not left behind. */
async function standbyTasks(sandbox: Sandbox): Promise<Set<string>> {
  const rows = (await sandbox.tornade.built.controller.standbys?.rows()) ?? [];
  return new Set(rows.flatMap((r) => (r.standby?.status.kind === "free" && r.providerId ? [r.providerId] : [])));
}

/**
 * Waits (bounded) for every task and build to stop and every ephemeral runner to go, then counts what remains; the
 * standbys still waiting (`waiting`, their task ARNs and build ids) are not leftovers.
 */
async function drain(sandbox: Sandbox): Promise<{ leftoverTasks: number; leftoverRunners: number }> {
  const { aws, github } = sandbox.bed;
  const count = async () => {
    const waiting = await standbyTasks(sandbox);
    return {
      leftoverTasks:
        aws.control.listTasks().filter((t) => t.lastStatus !== "STOPPED" && !waiting.has(t.taskArn)).length +
        aws.control.listBuilds().filter((b) => b.buildStatus === "IN_PROGRESS" && !waiting.has(b.id)).length,
      leftoverRunners: github.control.listRunners().length,
    };
  };
  const until = sandbox.clock.now() + DRAIN_MS;
  let c = await count();
  while ((c.leftoverTasks > 0 || c.leftoverRunners > 0) && sandbox.clock.now() < until) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    c = await count();
  }
  return c;
}
