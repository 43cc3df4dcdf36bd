/**
 * Fuzzing POST /events (issue 4 point 10): thousands of malformed and hostile requests from a seeded PRNG
 * (generate.ts) hit a running sandbox while a real workflow run flows through the simulated GitHub. tornade must stay
 * up, store nothing unsigned, refuse every bad request with a 4xx and a JSON `error`, file hostile labels as data, and
 * still run every real job. A failure prints the seed and the case index: CaseGenerator(seed) reproduces it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BODY_LIMIT_BYTES } from "../../src/config/schema.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { sandbox, until } from "../e2e/helpers.js";
import { CaseGenerator, type FuzzCase } from "./generate.js";

const SEED = 0x7042ade;
const CASES = 3_000;
const CONCURRENCY = 20;

let s: Sandbox;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(async () => {
  await s?.close();
});

interface Outcome {
  readonly c: FuzzCase;
  readonly status: number;
  readonly body: unknown;
}

async function send(url: string, c: FuzzCase): Promise<Outcome> {
  const res = await fetch(`${url}/events`, { method: "POST", headers: c.headers, body: c.body });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Left as text: the check below reports it.
  }
  return { c, status: res.status, body };
}

/** What is wrong with one answer, or null. */
function mismatch(o: Outcome): string | null {
  const e = o.c.expect;
  const error = typeof o.body === "object" && o.body !== null ? (o.body as { error?: unknown }).error : undefined;
  if (e.kind === "refused" || e.kind === "refused-4xx") {
    if (e.kind === "refused" ? o.status !== e.status : o.status < 400 || o.status > 499) return `status ${o.status}, expected ${e.kind === "refused" ? e.status : "4xx"}`;
    if (typeof error !== "string" || error === "") return `no JSON error reason: ${JSON.stringify(o.body).slice(0, 200)}`;
    return null;
  }
  if (o.status < 200 || o.status > 299) return `status ${o.status} (${JSON.stringify(o.body).slice(0, 200)}), expected 2xx`;
  const decision = typeof o.body === "object" && o.body !== null ? (o.body as { decision?: unknown; duplicate?: unknown }) : {};
  if (e.decisions && decision.duplicate !== true && !e.decisions.includes(String(decision.decision))) {
    return `decision ${String(decision.decision)}, expected one of ${e.decisions.join(", ")}`;
  }
  return null;
}

/** Runs `work` over `items` with at most `n` in flight. */
async function pool<T, R>(items: readonly T[], n: number, work: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i] as T);
      }
    }),
  );
  return out;
}

describe(`POST /events under fuzz (seed ${SEED}, ${CASES} cases)`, () => {
  it("refuses every bad request with a 4xx and a reason, stores nothing unsigned, and serves every real job meanwhile", async () => {
    const url = s.tornade.url;
    const gen = new CaseGenerator(SEED, s.bed.github.webhookSecret, DEFAULT_BODY_LIMIT_BYTES);
    const cases = Array.from({ length: CASES }, () => gen.case());

    // The real traffic: one run of 20 jobs across the backends, its webhooks sent by the simulated GitHub.
    const labels = (...rest: string[]) => ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, ...rest];
    const real = await s.queueScenario({
      jobs: [
        { name: "spot", labels: labels("runs-on=FARGATE_SPOT"), durationSeconds: 60, count: 8 },
        { name: "fargate-arm", labels: labels("runs-on=FARGATE", "arch=ARM64"), durationSeconds: 60, count: 6 },
        { name: "codebuild", labels: labels("runs-on=CODEBUILD"), durationSeconds: 60, count: 6 },
      ],
    });
    expect(real).toHaveLength(20);

    const outcomes = await pool(cases, CONCURRENCY, (c) => send(url, c));
    const wrong = outcomes
      .map((o) => ({ o, why: mismatch(o) }))
      .filter((x) => x.why !== null)
      .map(({ o, why }) => `seed ${SEED} case ${o.c.index} (${o.c.category}): ${why}`);
    expect(wrong.slice(0, 20)).toEqual([]);

    // Every category was exercised, so a generator change cannot quietly stop testing one.
    const categories = new Set(cases.map((c) => c.category.split(":")[0]));
    expect([...categories].sort()).toEqual(
      ["bad-event", "bad-guid", "binary", "content-type", "huge", "json-not-object", "labels", "not-json", "schema", "truncated", "unsigned"].sort(),
    );
    const refused = outcomes.filter((o) => o.status >= 400).length;
    expect(refused).toBeGreaterThan(CASES / 2);

    // Nothing from an unsigned or wrongly signed body reached the store.
    const forbidden = cases.flatMap((c) => (c.forbiddenJobId === undefined ? [] : [c.forbiddenJobId]));
    expect(forbidden.length).toBeGreaterThan(300);
    const stored = (await Promise.all(forbidden.map((id) => s.tornade.built.store.getJob(id)))).filter((j) => j !== undefined);
    expect(stored).toEqual([]);

    // The hostile labels that were accepted are on record as data, exactly as sent.
    const hostile = outcomes.find((o) => o.c.category.startsWith("labels:") && o.status === 202);
    expect(hostile).toBeDefined();
    const sent = JSON.parse(hostile!.c.body.toString("utf8")) as { workflow_job: { id: number; labels: string[] } };
    expect((await s.tornade.built.store.getJob(sent.workflow_job.id))?.labels).toEqual(sent.workflow_job.labels);

    // Still up, and every real job ran to success on its own runner.
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true });
    const done = await until(
      "every real job completed",
      () => {
        const jobs = real.map((j) => s.bed.github.control.getJob(j.jobId));
        return jobs.every((j) => j?.status === "completed") ? jobs : undefined;
      },
      60_000,
    );
    expect(done.map((j) => j?.conclusion)).toEqual(real.map(() => "success"));
    // No runner was started for anything the fuzz sent: every task and build belongs to a real job.
    const realIds = new Set(real.map((j) => String(j.jobId)));
    const launchedFor = [...s.bed.aws.control.listTasks(), ...s.bed.aws.control.listBuilds()].map((l) => l.env["TORNADE_JOB_ID"] ?? "?");
    expect(launchedFor.filter((id) => !realIds.has(id))).toEqual([]);
    expect(new Set(launchedFor).size).toBe(real.length);
  }, 120_000);
});
