/**
 * Malformed and hostile webhook requests for the /events fuzz test, drawn from a seeded PRNG so that a failure names
 * a seed and an index that reproduce it. Each case says what tornade must answer; the test sends them.
 */
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { WorkflowJobDeliverySchema } from "../../src/core/decision.js";
import { prng } from "../../testbed/prng.js";

/** The project's seeded PRNG (mulberry32, testbed/prng.ts): the same seed gives the same cases. */
export { prng };

export type Expect =
  /** Exactly this status, with a JSON `{ error: string }`. */
  | { kind: "refused"; status: number }
  /** Any 4xx with a JSON `{ error }` (where the exact refusal depends on how the bytes decode). */
  | { kind: "refused-4xx" }
  /** A well-formed, signed delivery: 2xx, and (when given) filed with one of these decisions. */
  | { kind: "accepted"; decisions?: readonly string[] };

export interface FuzzCase {
  readonly index: number;
  readonly category: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly expect: Expect;
  /** Job id of a body that must never be stored (unsigned or wrongly signed). */
  readonly forbiddenJobId?: number;
}

interface Example {
  name: string;
  examples: Array<Record<string, unknown> & { action: string }>;
}
const queuedExample = (createRequire(import.meta.url)("@octokit/webhooks-examples") as Example[])
  .find((e) => e.name === "workflow_job")!
  .examples.find((e) => e.action === "queued")!;

/** Ids far below the simulated GitHub's (which start above 2^32), so fuzz jobs never touch the real scenario's. */
const FUZZ_JOB_IDS = 1_000_000;
/** Ids of unsigned bodies, in their own range, so "none of them was stored" is a lookup. */
export const UNSIGNED_JOB_IDS = 2_000_000_000;

type Json = Record<string, unknown>;

export class CaseGenerator {
  private readonly rnd: () => number;
  private next = 0;
  private nextJob = FUZZ_JOB_IDS;
  private nextUnsigned = UNSIGNED_JOB_IDS;

  constructor(
    readonly seed: number,
    private readonly secret: string,
    private readonly bodyLimitBytes: number,
  ) {
    this.rnd = prng(seed);
  }

  private int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  private sign(body: Buffer | string, secret = this.secret): string {
    return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  }

  /** A workflow_job body tornade reads; by default public and completed, so nothing in it can launch a runner. */
  private payload(jobId: number, opts: { action?: string; private?: boolean; labels?: string[] } = {}): Json {
    const p = structuredClone(queuedExample) as unknown as Json & { workflow_job: Json; repository: Json };
    p.action = opts.action ?? "completed";
    p.workflow_job.id = jobId;
    p.workflow_job.status = p.action === "queued" ? "queued" : "completed";
    p.workflow_job.conclusion = p.action === "queued" ? null : "success";
    if (opts.labels) p.workflow_job.labels = opts.labels;
    p.repository.private = opts.private ?? false;
    p.repository.visibility = opts.private ? "private" : "public";
    return p;
  }

  private headers(body: Buffer, over: Record<string, string | undefined> = {}): Record<string, string> {
    const h: Record<string, string | undefined> = {
      "content-type": "application/json",
      "x-github-event": "workflow_job",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": this.sign(body),
      ...over,
    };
    return Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined));
  }

  private make(category: string, body: Buffer, headers: Record<string, string>, expect: Expect, forbiddenJobId?: number): FuzzCase {
    return { index: this.next++, category, body, headers, expect, ...(forbiddenJobId === undefined ? {} : { forbiddenJobId }) };
  }

  case(): FuzzCase {
    const r = this.rnd();
    if (r < 0.18) return this.unsigned();
    if (r < 0.22) return this.truncated();
    if (r < 0.24) return this.huge();
    if (r < 0.3) return this.binary();
    if (r < 0.36) return this.contentType();
    if (r < 0.44) return this.notJson();
    if (r < 0.5) return this.badHeaders();
    if (r < 0.8) return this.schemaMutant();
    return this.hostileLabels();
  }

  /** Missing, wrong-secret, wrong-algorithm, malformed signatures over a body that would otherwise be stored. */
  private unsigned(): FuzzCase {
    const id = this.nextUnsigned++;
    const body = Buffer.from(JSON.stringify(this.payload(id, { action: "queued", private: true, labels: ["self-hosted", "tornade"] })));
    const variants: Array<string | undefined> = [
      undefined,
      "",
      "sha256=",
      this.sign(body, "not-the-secret"),
      `sha1=${createHmac("sha1", this.secret).update(body).digest("hex")}`,
      this.sign(body).slice(0, 40),
      `${this.sign(body)}00`,
      `sha256=${"0".repeat(64)}`,
      `sha256=${"zz".repeat(32)}`,
      this.sign(Buffer.concat([body, Buffer.from(" ")])),
    ];
    const sig = this.pick(variants);
    return this.make(`unsigned:${variants.indexOf(sig)}`, body, this.headers(body, { "x-hub-signature-256": sig }), { kind: "refused", status: 401 }, id);
  }

  /** Signed in full, then cut short in transit: the signature no longer matches. */
  private truncated(): FuzzCase {
    const id = this.nextUnsigned++;
    const full = Buffer.from(JSON.stringify(this.payload(id, { action: "queued", private: true, labels: ["self-hosted", "tornade"] })));
    const body = full.subarray(0, this.int(full.length - 1));
    return this.make("truncated", body, this.headers(full, { "x-hub-signature-256": this.sign(full) }), { kind: "refused", status: 401 }, id);
  }

  private huge(): FuzzCase {
    const body = Buffer.alloc(this.bodyLimitBytes + 1 + this.int(64 * 1024), 0x61);
    return this.make("huge", body, this.headers(body), { kind: "refused", status: 413 });
  }

  /** Random bytes, validly signed. Invalid UTF-8 may decode differently from what was signed: any 4xx. */
  private binary(): FuzzCase {
    const body = Buffer.from(Array.from({ length: 1 + this.int(4096) }, () => this.int(256)));
    return this.make("binary", body, this.headers(body), { kind: "refused-4xx" });
  }

  /** GitHub's other webhook format (form-encoded `payload=`), and other content types, validly signed. */
  private contentType(): FuzzCase {
    const json = JSON.stringify(this.payload(this.nextJob++));
    const kinds: Array<[string, string]> = [
      ["application/x-www-form-urlencoded", `payload=${encodeURIComponent(json)}`],
      ["multipart/form-data; boundary=x", `--x\r\ncontent-disposition: form-data; name="payload"\r\n\r\n${json}\r\n--x--`],
      ["text/xml", `<payload>${json}</payload>`],
      ["application/octet-stream", `\u0000${json}`],
    ];
    const [type, text] = this.pick(kinds);
    const body = Buffer.from(text);
    return this.make(`content-type:${type.split(";")[0]}`, body, this.headers(body, { "content-type": type }), { kind: "refused", status: 400 });
  }

  /** Signed bodies that are not JSON, or JSON that is not an object tornade can read. */
  private notJson(): FuzzCase {
    const full = JSON.stringify(this.payload(this.nextJob++));
    const texts = ["", " ", "{", "}", "nul", "undefined", "NaN", "{'a':1}", full.slice(0, Math.max(1, this.int(full.length))), `${full}garbage`, "\uFEFF" + full];
    const jsonNonObjects = ["null", "[]", "0", "-1e999", '"workflow_job"', "true", "[{}]", "{}"];
    const useJson = this.rnd() < 0.4;
    const text = useJson ? this.pick(jsonNonObjects) : this.pick(texts);
    const body = Buffer.from(text);
    // tornade checks the signature over the body decoded as UTF-8, and decoding drops a leading byte-order mark, so a
    // signed body with one fails the signature (401) before it could fail JSON parsing (400): closed either way. The
    // same for an empty body: @octokit/webhooks-methods' verify takes no empty payload, so it fails the signature.
    const expect: Expect = text.startsWith("\uFEFF") || text === "" ? { kind: "refused-4xx" } : { kind: "refused", status: 400 };
    return this.make(useJson ? "json-not-object" : "not-json", body, this.headers(body), expect);
  }

  /** Validly signed, but without GitHub's event name or delivery GUID, or with hostile ones. */
  private badHeaders(): FuzzCase {
    const body = Buffer.from(JSON.stringify(this.payload(this.nextJob++)));
    const events = [undefined, "", "WORKFLOW_JOB", "workflow job", "workflow_job\u0000", "../../etc", "x".repeat(65), "workflow_job;drop"];
    const guids = [undefined, "", "not-a-guid", "1", `${randomUUID()}x`, "' OR 1=1 --", "0".repeat(36)];
    const badEvent = this.rnd() < 0.5;
    const over = badEvent ? { "x-github-event": this.pick(events) } : { "x-github-delivery": this.pick(guids) };
    const headers = this.headers(body, over);
    // fetch refuses header values with control characters before sending; such a case tests the header's absence.
    for (const [k, v] of Object.entries(headers)) if (/[\u0000-\u001f]/.test(v)) delete headers[k];
    return this.make(badEvent ? "bad-event" : "bad-guid", body, headers, { kind: "refused", status: 400 });
  }

  /**
   * One field tornade reads removed, given a wrong type, or made huge. Some mutations are still valid (an optional
   * field removed, a long name): the published-schema subset tornade validates with decides which answer is right.
   */
  private schemaMutant(): FuzzCase {
    const p = this.payload(this.nextJob++);
    const paths = [
      "action", "workflow_job", "workflow_job.id", "workflow_job.run_id", "workflow_job.run_attempt", "workflow_job.name",
      "workflow_job.labels", "workflow_job.status", "workflow_job.conclusion", "workflow_job.created_at", "workflow_job.head_sha",
      "workflow_job.runner_name", "workflow_job.workflow_name", "repository", "repository.id", "repository.name",
      "repository.full_name", "repository.owner", "repository.owner.login", "repository.private", "repository.visibility",
      "organization", "installation", "installation.id",
    ];
    const path = this.pick(paths);
    const values: unknown[] = [
      undefined, null, "", "x".repeat(100_000), 0, -1, 1.5, 2 ** 53 + 2, 1e308, true, [], {}, [1, "a"], { $ne: 1 }, "__proto__",
      "\u0000\u001b[31m\u202e", "9".repeat(400),
    ];
    const value = this.pick(values);
    setAt(p, path.split("."), value);
    const valid = WorkflowJobDeliverySchema.safeParse(p).success;
    const body = Buffer.from(JSON.stringify(p));
    const label = value === undefined ? "removed" : Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
    return this.make(`schema:${path}:${label}`, body, this.headers(body), valid ? { kind: "accepted" } : { kind: "refused", status: 400 });
  }

  /**
   * Hostile `runs-on` labels in an otherwise correct, signed delivery: tornade must file them as data, never act on
   * them. Queued ones always carry something the grammar refuses or lack `self-hosted`, so nothing launches for a job
   * GitHub does not have; label sets that would pass go out as `completed`.
   */
  private hostileLabels(): FuzzCase {
    const hostile = [
      "runs-on=FARGATE;rm -rf /", "runs-on=$(reboot)", "runs-on=`id`", "arch=ARM64\nrm -rf /", "image=../../etc/passwd",
      "runs-on=", "=", "==", "=tornade", "runs-on==FARGATE", "runs-on=FARGATE=CODEBUILD", "cpu=1e309", "disk=NaN",
      "memory=-1", "__proto__=1", "constructor=prototype", "toString=x", "size=☃", "arch=ＡＲＭ64", "runs-on=fargate\u0000",
      "x".repeat(10_000) + "=1", "k=" + "v".repeat(10_000), "runs-on=FARGATE\r\nX-Injected: 1", "type=static;drop",
    ];
    const passthrough = ["🚀", "ラベル", "\u202egnp.exe", "\u0000", "\u001b[2J", "x".repeat(10_000), "label with spaces", "'\"<script>alert(1)</script>", "${{ secrets.TOKEN }}"];
    const n = this.pick([1, 2, 5, 101]);
    const labels = Array.from({ length: n }, () => this.pick([...hostile, ...passthrough]));
    const withUs = this.rnd() < 0.8;
    const all = withUs ? ["self-hosted", "tornade", ...labels] : ["tornade", ...labels];
    const grammarRefuses = labels.some((l) => hostile.includes(l));
    const queued = !withUs || grammarRefuses;
    const p = this.payload(this.nextJob++, { action: queued ? "queued" : "completed", private: true, labels: all });
    const body = Buffer.from(JSON.stringify(p));
    const decisions = !withUs ? ["ignored"] : grammarRefuses ? ["rejected"] : ["launch", "rejected"];
    return this.make(`labels:${queued ? "queued" : "completed"}:${n}`, body, this.headers(body), { kind: "accepted", decisions });
  }
}

function setAt(obj: Json, path: string[], value: unknown): void {
  let cur: unknown = obj;
  for (const key of path.slice(0, -1)) {
    if (typeof cur !== "object" || cur === null) return;
    cur = (cur as Json)[key];
  }
  if (typeof cur !== "object" || cur === null) return;
  const last = path[path.length - 1] as string;
  if (value === undefined) delete (cur as Json)[last];
  else (cur as Json)[last] = value;
}
