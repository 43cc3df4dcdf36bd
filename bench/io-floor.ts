/**
 * The I/O floor of one job (a benchmark part, never shipped): a process that does only what tornade cannot avoid for a
 * job, with the libraries and the store code tornade uses, and nothing else — no queue, no decisions, no looks, no
 * rounds, no metrics, no logs. bench/cli.ts runs it through the same harness as `tornade serve` (benchSteady with
 * `bin: IO_FLOOR_BIN`, the same environment, jobs and rate), so its CPU per job is measured beside tornade's in one run
 * (docs/performance.md "The I/O floor").
 *
 * Per job:
 * - three webhooks (queued, in_progress, completed): the body read, its signature checked (verifyWebhookSignature),
 *   parsed, one row written and made durable (SqliteHandle.durably: the WAL's fdatasync on libuv's pool, shared by
 *   concurrent writes), then 202;
 * - after `queued`: the labels read (interpretLabels), one JIT config (OctokitGitHub on createGitHubClients), a launch
 *   row written durably, the provider's launch (SSM PutParameter, then ECS RunTask or CodeBuild StartBuild, exactly as
 *   tornade sends them: buildProviders), and the launch row updated durably.
 * That is five durable writes, one GitHub call and two AWS calls; tornade makes seven durable writes (a runner's start
 * and stop each have one more) and answers the same three webhooks.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { TEST_BED_AWS_CREDENTIALS, loadConfig, policyOf } from "../src/config/index.js";
import { sharedClock } from "../src/clock/clock.js";
import { buildProviders } from "../src/controller/build.js";
import { interpretLabels } from "../src/core/labels.js";
import { idempotencyKey, runnerName } from "../src/core/reconcile.js";
import { createGitHubClients } from "../src/github/auth.js";
import { OctokitGitHub } from "../src/github/octokit-github.js";
import { verifyWebhookSignature } from "../src/github/webhook-verify.js";
import { silentLogger } from "../src/log/logger.js";
import { openSqlite } from "../src/store/sqlite.js";
import { launchId } from "../src/store/store.js";

const env = process.env;
const config = loadConfig(env);
const clock = sharedClock(Number(env["TORNADE_CLOCK_SPEED"] ?? 1), Number(env["TORNADE_CLOCK_ORIGIN"] ?? Date.now()));
const logger = silentLogger;
const g = config.github;
if (g.appId === undefined || g.privateKey === undefined || g.webhookSecret === undefined) throw new Error("the I/O floor runs against the test bed's App");
const secret = g.webhookSecret;
const github = new OctokitGitHub(
  createGitHubClients({ auth: { kind: "app", appId: g.appId, privateKeyPem: g.privateKey }, baseUrl: g.baseUrl, clock, logger, writeSpacingMs: 0 }),
  { clock },
);
const { providers } = buildProviders(config, { clock, logger, awsCredentials: TEST_BED_AWS_CREDENTIALS });
const policy = policyOf(config);

const h = openSqlite(config.store.path);
h.db.exec(`CREATE TABLE IF NOT EXISTS floor_jobs (id INTEGER PRIMARY KEY, status TEXT NOT NULL, labels TEXT NOT NULL, updated_at INTEGER NOT NULL);
           CREATE TABLE IF NOT EXISTS floor_launches (id TEXT PRIMARY KEY, job_id INTEGER NOT NULL, state TEXT NOT NULL, provider_id TEXT, updated_at INTEGER NOT NULL);`);
const upsertJob = h.stmt(`INSERT INTO floor_jobs (id, status, labels, updated_at) VALUES (?, ?, ?, ?)
                          ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`);
const insertLaunch = h.stmt("INSERT INTO floor_launches (id, job_id, state, updated_at) VALUES (?, ?, 'requested', ?)");
const launched = h.stmt("UPDATE floor_launches SET state = 'launched', provider_id = ?, updated_at = ? WHERE id = ?");

interface Delivery {
  action: string;
  workflow_job: { id: number; run_id: number; status: string; labels: string[] };
  repository: { name: string; full_name: string; owner: { login: string } };
  installation: { id: number };
}

async function launch(d: Delivery): Promise<void> {
  const job = d.workflow_job;
  const verdict = interpretLabels(job.labels, policy);
  if (verdict.kind !== "launch") return;
  const provider = providers.get(verdict.spec.backend);
  if (!provider) return;
  // One attempt per job: the floor retries nothing.
  const attempt = 1;
  const name = runnerName(job.id, attempt);
  const owner = d.repository.owner.login;
  const jit = await github.generateJitConfig({
    scope: "repo",
    owner,
    repo: d.repository.name,
    installationId: d.installation.id,
    runnerGroupId: g.runnerGroupId,
    name,
    labels: verdict.spec.runnerLabels,
  });
  const id = launchId(job.id, attempt);
  await h.durably(() => insertLaunch.run(id, job.id, clock.now()));
  const handle = await provider.launch({
    idempotencyKey: idempotencyKey(job.id, attempt),
    spec: verdict.spec,
    runnerName: name,
    jobId: job.id,
    runId: job.run_id,
    repository: d.repository.full_name,
    jitConfig: jit.encodedJitConfig,
  });
  await h.durably(() => launched.run(handle.id, clock.now(), id));
}

async function events(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  if (!(await verifyWebhookSignature(secret, body, req.headers["x-hub-signature-256"] as string | undefined))) {
    res.writeHead(401).end();
    return;
  }
  if (req.headers["x-github-event"] !== "workflow_job") {
    res.writeHead(202).end();
    return;
  }
  const d = JSON.parse(body.toString("utf8")) as Delivery;
  const job = d.workflow_job;
  // Committed now, on the disk when `stored` resolves. The launch starts at the commit, as tornade's worker does
  // (IntakeInput.committed): its first durable write syncs the WAL, and with it this row.
  const stored = h.durably(() => upsertJob.run(job.id, job.status, JSON.stringify(job.labels), clock.now()));
  if (d.action === "queued") launch(d).catch((e: unknown) => process.stderr.write(`floor: the launch of job ${job.id} failed: ${String(e)}\n`));
  await stored;
  res.writeHead(202).end();
}

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/healthz") return void res.writeHead(200).end("ok");
  if (req.method === "POST" && req.url === "/events") return void events(req, res).catch(() => res.writeHead(500).end());
  res.writeHead(404).end();
});
server.listen(Number(env["PORT"]), env["TORNADE_HOST"] ?? "127.0.0.1");
process.once("SIGTERM", () => server.close(() => (h.close(), process.exit(0))));
