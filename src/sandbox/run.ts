/**
 * `tornade sandbox`: run a scenario through the real controller on the test bed until every job has completed or been
 * decided, reporting each job as it settles.
 */
import { policyOf } from "../config/index.js";
import { decisionKind, explainLabels } from "../core/decision.js";
import type { Logger } from "../log/logger.js";
import { startSandbox, type QueuedJob, type Sandbox } from "./sandbox.js";
import { isSettled, reportJob, totals, type JobReport, type Totals } from "./report.js";
import type { Scenario } from "./scenario.js";

export interface RunScenarioOptions {
  readonly speed: number;
  readonly logger: Logger;
  /** Called once per job, when it settles. */
  readonly onSettled?: (report: JobReport, settled: number, total: number, simulatedSeconds: number) => void;
  /** Simulated time after which still-pending jobs are reported as such; default 3 hours. */
  readonly timeoutSimulatedMs?: number;
}

export interface ScenarioResult {
  readonly jobs: JobReport[];
  readonly totals: Totals;
}

/** After the jobs settle, how long (simulated) runners get to exit and tasks to stop before leftovers are counted. */
const DRAIN_MS = 10 * 60_000;
/** Real milliseconds between looks at the state. */
const POLL_MS = 25;

export async function runScenario(scenario: Scenario, opts: RunScenarioOptions): Promise<ScenarioResult> {
  const sandbox = await startSandbox({ speed: opts.speed, logger: opts.logger, port: 0 });
  try {
    const wallStart = performance.now();
    const simStart = sandbox.clock.now();
    const queued = await sandbox.queueScenario(scenario);
    const timeout = opts.timeoutSimulatedMs ?? 3 * 3600_000;
    const settled = new Set<number>();
    let reports: JobReport[] = [];
    for (;;) {
      reports = await Promise.all(queued.map((q) => reportFor(sandbox, q)));
      const simSeconds = (sandbox.clock.now() - simStart) / 1000;
      reports.forEach((r, i) => {
        const id = queued[i]?.jobId;
        if (id === undefined || settled.has(id) || !isSettled(r)) return;
        settled.add(id);
        opts.onSettled?.(r, settled.size, queued.length, simSeconds);
      });
      if (settled.size === queued.length || sandbox.clock.now() - simStart > timeout) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const simulatedSeconds = (sandbox.clock.now() - simStart) / 1000;
    const leftovers = await drain(sandbox);
    return { jobs: reports, totals: totals(reports, { simulatedSeconds, wallSeconds: (performance.now() - wallStart) / 1000, ...leftovers }) };
  } finally {
    await sandbox.close();
  }
}

async function reportFor(sandbox: Sandbox, q: QueuedJob): Promise<JobReport> {
  const { store } = sandbox.tornade.built;
  const [job, launches] = await Promise.all([store.getJob(q.jobId), store.listLaunches(q.jobId)]);
  const gh = sandbox.bed.github.control.getJob(q.jobId);
  const labels = explainLabels(q.labels, policyOf(sandbox.tornade.config));
  const foreign = decisionKind(labels) === "ignored" ? labels.reason : null;
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
