/**
 * `tornade explain`: what tornade would do with a job, without doing it. Prints one JSON object: the decision serve
 * would store (core/job-decision.ts), laid out by core/explanation.ts. The payload form runs the very function the
 * webhook intake runs on a delivery.
 */
import { resolve } from "node:path";
import { ConfigError, loadPolicy } from "../config/index.js";
import { DataFileError, readDataFile } from "../config/data-file.js";
import { decideDelivery, decideLabels, parseWorkflowJobDelivery, PayloadError } from "../core/decision.js";
import { explanationOf } from "../core/explanation.js";
import { InputError, parseCommandArgs, UsageError } from "./args.js";
import { EXIT_OK, EXIT_USAGE, type CliIo } from "./io.js";

export const EXPLAIN_USAGE = `usage: tornade explain (--labels LABELS | --payload FILE) [--config FILE] [--sandbox]

Prints, as one JSON object, what tornade would do for a job: launch (bool), backend, arch, static (bool), cpu,
memory, disk, size, image, runnerLabels, reason (why nothing is launched), errors (every problem of the job's labels
or the policy refusal, one message each; [] when none) and error (them joined in one line, or null).

  --labels LABELS   the job's runs-on labels, comma-separated:
                    "self-hosted,tornade,123,runs-on=FARGATE_SPOT,arch=ARM64"
  --payload FILE    a workflow_job webhook body (JSON); applies everything serve applies to that delivery
                    (action must be queued, labels, allowed repositories)
  --config FILE     configuration file (YAML or JSON); the environment applies as for serve
  --sandbox         judge with the sandbox configuration

Exit status: 0 when it decided (whatever the decision), 2 on a usage error or a bad file or configuration.
`;

export async function runExplain(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    labels: { type: "string" },
    payload: { type: "string" },
    config: { type: "string" },
    sandbox: { type: "boolean" },
  });
  if (values.help) {
    io.stdout(EXPLAIN_USAGE);
    return EXIT_OK;
  }
  if ((values.labels === undefined) === (values.payload === undefined)) {
    throw new UsageError("give exactly one of --labels or --payload");
  }
  let policy;
  try {
    const file = values.config === undefined ? undefined : resolve(io.cwd, values.config);
    policy = loadPolicy(io.env, file, { sandbox: values.sandbox === true });
  } catch (err) {
    if (err instanceof ConfigError) throw new InputError(err.message);
    throw err;
  }
  const decision =
    values.labels !== undefined
      ? decideLabels(splitLabels(values.labels), policy)
      : decideDelivery(readPayload(resolve(io.cwd, values.payload as string)), policy);
  io.stdout(`${JSON.stringify(explanationOf(decision), null, 2)}\n`);
  return EXIT_OK;
}

/** GitHub labels cannot contain commas, so a comma list is unambiguous; blanks around commas are dropped. */
function splitLabels(text: string): string[] {
  const labels = text.split(",").map((l) => l.trim()).filter((l) => l !== "");
  if (labels.length === 0) throw new UsageError("--labels is empty; give the job's labels, comma-separated");
  return labels;
}

function readPayload(path: string) {
  let body: unknown;
  try {
    body = readDataFile(path, "json");
  } catch (err) {
    if (err instanceof DataFileError) throw new InputError(`--payload ${err.message}`);
    throw err;
  }
  try {
    return parseWorkflowJobDelivery(body);
  } catch (err) {
    if (err instanceof PayloadError) throw new InputError(`--payload ${path}: ${err.message}`);
    throw err;
  }
}
