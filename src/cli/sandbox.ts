/**
 * `tornade sandbox [--scenario FILE] [--json] [--speed N]`: runs the real controller against the in-process test bed
 * (simulated GitHub, ECS, CodeBuild and runners) on a compressed clock, shows each job as it settles, and ends when
 * every job has completed or been decided.
 */
import { resolve } from "node:path";
import { createLogger } from "../log/logger.js";
import { runScenario } from "../sandbox/run.js";
import { formatTable } from "../sandbox/report.js";
import { ScenarioError, loadScenario, seedScenario } from "../sandbox/scenario.js";
import { parseCommandArgs, UsageError } from "./args.js";
import { EXIT_FAILED, EXIT_OK, type CliIo } from "./io.js";
import { parseSpeed } from "./serve.js";

export const SANDBOX_USAGE = `usage: tornade sandbox [--scenario FILE] [--json] [--speed N] [--log-level LEVEL]

Runs tornade's real controller against simulated GitHub and AWS. Without --scenario it runs the seed workflow:
fargate_x86, fargate_arm64, fargate_spot, codebuild_x86, codebuild_arm64 and one type=static job.

  --scenario FILE   {"jobs": [{"name", "labels": [...], "durationSeconds", "count"}]}
                    ("\${{ github.run_id }}" in a label becomes the simulated run's id)
  --json            print {"jobs": [...], "totals": {...}} on stdout instead of a table
  --speed N         simulated time runs N times faster than real time (default 600: a 10-minute job takes 1 s)
  --log-level L     tornade's own JSON log on stderr: silent (default), error, warn, info, debug

Exit status: 0 when every job settled as expected (completed, not launched by design, or rejected with a reason),
1 when a job failed or was still pending at the end.
`;

export async function runSandbox(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    scenario: { type: "string" },
    json: { type: "boolean" },
    speed: { type: "string" },
    "log-level": { type: "string" },
  });
  if (values.help) {
    io.stdout(SANDBOX_USAGE);
    return EXIT_OK;
  }
  const speed = values.speed === undefined ? 600 : parseSpeed(values.speed);
  const level = values["log-level"] ?? "silent";
  if (!["silent", "error", "warn", "info", "debug"].includes(level)) {
    throw new UsageError(`--log-level must be silent, error, warn, info or debug, got "${level}"`);
  }
  let scenario = seedScenario;
  if (values.scenario !== undefined) {
    try {
      scenario = loadScenario(resolve(io.cwd, values.scenario));
    } catch (e) {
      if (e instanceof ScenarioError) throw new UsageError(e.message);
      throw e;
    }
  }
  const logger = createLogger({ level, destination: process.stderr });
  io.stderr(`tornade sandbox: simulated GitHub and AWS, clock ${speed}x\n`);
  const result = await runScenario(scenario, {
    speed,
    logger,
    onSettled: (r, n, total, sim) =>
      io.stderr(
        `  [${String(n).padStart(String(total).length)}/${total}] ${sim.toFixed(0).padStart(5)} s  ${r.name}: ${r.outcome}` +
          `${r.backend ? ` on ${r.backend}/${r.arch}` : ""}${r.reason ? ` — ${r.reason}` : ""}\n`,
      ),
  });
  io.stdout(values.json ? `${JSON.stringify(result, null, 2)}\n` : `\n${formatTable(result.jobs, result.totals)}\n`);
  return result.totals.failed + result.totals.pending === 0 ? EXIT_OK : EXIT_FAILED;
}
