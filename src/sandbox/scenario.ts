/**
 * Sandbox scenarios: which jobs a simulated workflow run queues. With no scenario the sandbox runs the seed's
 * example workflow (SEED.md) plus one `type=static` job.
 */
import { z } from "zod";
import { DataFileError, readDataFile } from "../config/data-file.js";
import { ConfigError, loadConfig } from "../config/index.js";
import { labelLimitProblems, quoteLabel } from "../core/label-limits.js";

/** Replaced by the simulated run's id, as `${{ github.run_id }}` is in a real workflow. */
export const RUN_ID_PLACEHOLDER = "${{ github.run_id }}";

/** Labels within GitHub's and tornade's limits (core/label-limits.ts), the same ones explain and serve apply. */
const ScenarioLabels = z
  .array(z.string().min(1))
  .min(1)
  .superRefine((labels, ctx) => {
    for (const p of labelLimitProblems(labels)) {
      ctx.addIssue({ code: "custom", message: p.label === null ? p.problem : `label ${quoteLabel(p.label)} ${p.problem}` });
    }
  });

const ScenarioJob = z.strictObject({
  name: z.string().min(1).max(100),
  labels: ScenarioLabels,
  durationSeconds: z.number().positive().max(6 * 3600).default(60),
  count: z.number().int().min(1).max(10_000).default(1),
});
const Scenario = z.strictObject({
  jobs: z.array(ScenarioJob).min(1).max(1000),
  /**
   * Standby runners for the run, in TORNADE_STANDBY's grammar (docs/standby.md): "FARGATE/X86_64=2" keeps two booted
   * and waiting. The run queues its jobs once they are waiting, so its pickup times show warm starts.
   */
  standby: z.string().trim().min(1).optional(),
});

export type Scenario = z.infer<typeof Scenario>;
export type ScenarioJob = z.infer<typeof ScenarioJob>;

const seedLabels = (...rest: string[]) => ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, ...rest];

/** The five jobs of the seed's workflow, and a static one. Durations are clock time (the sandbox compresses it). */
export const seedScenario: Scenario = {
  jobs: [
    { name: "fargate_x86", labels: seedLabels("runs-on=FARGATE", "arch=X86_64"), durationSeconds: 120, count: 1 },
    { name: "fargate_arm64", labels: seedLabels("runs-on=FARGATE", "arch=ARM64"), durationSeconds: 120, count: 1 },
    { name: "fargate_spot", labels: seedLabels("runs-on=FARGATE_SPOT"), durationSeconds: 300, count: 1 },
    { name: "codebuild_x86", labels: seedLabels("runs-on=CODEBUILD", "arch=X86_64"), durationSeconds: 240, count: 1 },
    { name: "codebuild_arm64", labels: seedLabels("runs-on=CODEBUILD", "arch=ARM64"), durationSeconds: 240, count: 1 },
    { name: "static", labels: ["self-hosted", "tornade", "type=static"], durationSeconds: 30, count: 1 },
  ],
};

export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
}

/** Reads and validates a scenario file; the error names the file and every offending field (or the line and column). */
export function loadScenario(path: string): Scenario {
  let json: unknown;
  try {
    json = readDataFile(path, "json");
  } catch (e) {
    if (e instanceof DataFileError) throw new ScenarioError(`--scenario ${e.message}`);
    throw e;
  }
  const parsed = Scenario.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "(top level)"}: ${issue.message}`);
    throw new ScenarioError(
      `--scenario ${path}: ${problems.join("; ")}. Fix: write {"jobs": [{"name", "labels": [...], "durationSeconds", "count"}], "standby": "BACKEND/ARCH=COUNT"}`,
    );
  }
  const standby = parsed.data.standby;
  if (standby !== undefined) {
    // Read as tornade reads TORNADE_STANDBY, so that a scenario is refused here, naming its file, not at start-up.
    try {
      loadConfig({ TORNADE_STANDBY: standby }, undefined, { partial: true });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new ScenarioError(`--scenario ${path}: standby: ${e.problems.join("; ")}`);
    }
  }
  return parsed.data;
}

/** One entry per job instance: `name` as given, or `name#i` (1-based) for counts above 1. */
export function expandJobs(scenario: Scenario): { name: string; labels: string[]; durationSeconds: number }[] {
  return scenario.jobs.flatMap((job) =>
    Array.from({ length: job.count }, (_, i) => ({
      name: job.count > 1 ? `${job.name}#${i + 1}` : job.name,
      labels: job.labels,
      durationSeconds: job.durationSeconds,
    })),
  );
}
