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
  const sandbox = await startSandbox({ speed: opts.speed, logger: opts.logger, port: 0 });
  try {
    const wallStart = performance.now();
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

async function reportFor(sandbox: Sandbox, q: QueuedJob): Promise<JobReport> {
  const { store } = sandbox.tornade.built;
  const [job, launches] = await Promise.all([store.getJob(q.jobId), store.listLaunches(q.jobId)]);
  const gh = sandbox.bed.github.control.getJob(q.jobId);
  const labels = decideLabels(q.labels, policyOf(sandbox.tornade.config));
  const foreign = labels.kind === "ignored" ? labels.reason : null;
  return reportJob(q.name, q.labels, gh ? { status: gh.status, conclusion: gh.conclusion } : undefined, job, launches, foreign);
}

/** Waits (bounded) for every task and build to stop and every ephemeral runner to go, then counts what remains. */
async function drain(sandbox: Sandbox): Promise<{ leftoverTasks: number; leftoverRunners: number }> {
  const { aws, github } = sandbox.bed;
  const count = () => ({
    leftoverTasks:
      aws.control.listTasks().filter((t) => t.lastStatus !== "STOPPED").length +
      aws.control.listBuilds().filter((b) => b.buildStatus === "IN_PROGRESS").length,
    leftoverRunners: github.control.listRunners().length,
  });
  const until = sandbox.clock.now() + DRAIN_MS;
  let c = count();
  while ((c.leftoverTasks > 0 || c.leftoverRunners > 0) && sandbox.clock.now() < until) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    c = count();
  }
  return c;
}
