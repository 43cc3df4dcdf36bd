/**
 * `tornade sandbox [--scenario FILE] [--json] [--speed N] [--time-limit D]`: runs the real controller against the
 * in-process test bed (simulated GitHub, ECS, CodeBuild and runners) on a compressed clock, shows each job as it
 * settles, and ends when every job has completed or been decided — or at the simulated time limit, saying so.
 */
import { resolve } from "node:path";
import { DURATION_GRAMMAR, formatDuration, parseDuration } from "../core/duration.js";
import { createLogger } from "../log/logger.js";
import { DEFAULT_TIME_LIMIT_MS, runScenario } from "../sandbox/run.js";
import { formatTable, timeLimitMessage } from "../sandbox/report.js";
import { ScenarioError, expandJobs, loadScenario, seedScenario } from "../sandbox/scenario.js";
import { defaultSpeed, JOB_SPEED_BUDGET, MAX_DEFAULT_SPEED, STANDBY_DEFAULT_SPEED, suggestSpeed } from "../sandbox/speed.js";
import { InputError, parseCommandArgs, UsageError } from "./args.js";
import { EXIT_FAILED, EXIT_OK, type CliIo } from "./io.js";
import { parseSpeed } from "./serve.js";

export const SANDBOX_USAGE = `usage: tornade sandbox [--scenario FILE] [--json] [--speed N] [--time-limit D] [--log-level LEVEL]

Runs tornade's real controller against simulated GitHub and AWS. Without --scenario it runs the seed workflow:
fargate_x86, fargate_arm64, fargate_spot, codebuild_x86, codebuild_arm64 and one type=static job.

  --scenario FILE   {"jobs": [{"name", "labels": [...], "durationSeconds", "count"}], "standby": "FARGATE/X86_64=2"}
                    ("\${{ github.run_id }}" in a label becomes the simulated run's id; "standby", optional, keeps
                    standby runners as TORNADE_STANDBY does and queues the jobs once they wait: default speed ${STANDBY_DEFAULT_SPEED}x)
  --json            print {"jobs": [...], "totals": {...}} on stdout instead of a table
  --speed N         simulated time runs N times faster than real time. Default ${MAX_DEFAULT_SPEED} (a 10-minute job takes
                    1 s) up to ${Math.floor(JOB_SPEED_BUDGET / MAX_DEFAULT_SPEED)} jobs, then ${JOB_SPEED_BUDGET} / jobs (${defaultSpeed(1000)} at 1,000): the simulators and the
                    controller share this process, and a clock faster than the machine keeps up with runs out of
                    simulated time
  --time-limit D    simulated time after which the run stops and reports what is still pending (default
                    ${formatDuration(DEFAULT_TIME_LIMIT_MS)}); e.g. 30m, 6h
  --log-level L     tornade's own JSON log on stderr: silent (default), error, warn, info, debug

Exit status: 0 when every job settled as expected (completed, not launched by design, or rejected with a reason),
1 when a job failed or was still pending at the end (the time limit), 2 on a usage error or a bad scenario file.
`;

export async function runSandbox(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    scenario: { type: "string" },
    json: { type: "boolean" },
    speed: { type: "string" },
    "time-limit": { type: "string" },
    "log-level": { type: "string" },
  });
  if (values.help) {
    io.stdout(SANDBOX_USAGE);
    return EXIT_OK;
  }
  const level = values["log-level"] ?? "silent";
  if (!["silent", "error", "warn", "info", "debug"].includes(level)) {
    throw new UsageError(`--log-level must be silent, error, warn, info or debug, got "${level}"`);
  }
  const timeLimitMs = values["time-limit"] === undefined ? DEFAULT_TIME_LIMIT_MS : parseDuration(values["time-limit"]);
  if (timeLimitMs === undefined || timeLimitMs <= 0) {
    throw new InputError(`--time-limit must be a simulated duration above zero, ${DURATION_GRAMMAR}; got "${values["time-limit"] ?? ""}"`);
  }
  let scenario = seedScenario;
  if (values.scenario !== undefined) {
    try {
      scenario = loadScenario(resolve(io.cwd, values.scenario));
    } catch (e) {
      if (e instanceof ScenarioError) throw new InputError(e.message);
      throw e;
    }
  }
  const jobs = expandJobs(scenario).length;
  const speed = values.speed === undefined ? defaultSpeed(jobs, scenario.standby !== undefined) : parseSpeed(values.speed);
  const logger = createLogger({ level, destination: process.stderr });
  const why = values.speed === undefined && speed < MAX_DEFAULT_SPEED ? ` (the default for ${jobs} jobs${scenario.standby === undefined ? "" : " with standbys"})` : "";
  io.stderr(`tornade sandbox: simulated GitHub and AWS, clock ${speed}x${why}, time limit ${formatDuration(timeLimitMs)} simulated\n`);
  const result = await runScenario(scenario, {
    speed,
    logger,
    timeLimitMs,
    onSettled: (r, n, total, sim) =>
      io.stderr(
        `  [${String(n).padStart(String(total).length)}/${total}] ${sim.toFixed(0).padStart(5)} s  ${r.name}: ${r.outcome}` +
          `${r.backend ? ` on ${r.backend}/${r.arch}` : ""}${r.reason ? ` — ${r.reason}` : ""}\n`,
      ),
  });
  const t = result.totals;
  io.stdout(values.json ? `${JSON.stringify(result, null, 2)}\n` : `\n${formatTable(result.jobs, t, { pickup: scenario.standby !== undefined })}\n`);
  const suggested = suggestSpeed({ speed, jobs: t.jobs, settled: t.jobs - t.pending, wallSeconds: t.wallSeconds, timeLimitSeconds: t.timeLimitSeconds });
  const stopped = timeLimitMessage(t, speed, suggested);
  if (stopped) io.stderr(`\ntornade sandbox: ${stopped}\n`);
  return t.failed + t.pending === 0 ? EXIT_OK : EXIT_FAILED;
}
