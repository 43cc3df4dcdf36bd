/**
 * Log hygiene, end to end: the real controller runs the seed workflow against the test bed with the logger at debug
 * level, and every line it writes is checked for the secrets the run handled — the App's private key, the webhook
 * secret, every installation token and JIT runner config the simulated GitHub issued — and for the job id on every
 * line about a job.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSeed, startBedTornade, type BedTornade, type SeedRun } from "../../test/support/bed-tornade.js";
import { createLogger } from "./logger.js";

const lines: string[] = [];
const issuedTokens: string[] = [];
const jitConfigs: string[] = [];
let t: BedTornade;
let seed: SeedRun;

beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter((l) => l !== ""));
      done();
    },
  });
  t = await startBedTornade({
    logger: createLogger({ level: "debug", destination }),
    onGitHubResponse: (r) => {
      const body = r.body as Record<string, unknown> | null;
      if (!body || typeof body !== "object") return;
      if (typeof body["token"] === "string") issuedTokens.push(body["token"]);
      if (typeof body["encoded_jit_config"] === "string") jitConfigs.push(body["encoded_jit_config"]);
    },
  });
  seed = await runSeed(t.bed, t.tornade.built.store);
});
afterAll(async () => {
  await t?.close();
});

const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe("tornade's log during a seed run at debug level", () => {
  it("is one JSON object per line, and there are lines about every launch", () => {
    expect(lines.length).toBeGreaterThan(20);
    const msgs = parsed().map((l) => l["msg"]);
    expect(msgs.filter((m) => m === "runner launched")).toHaveLength(5);
    expect(msgs.filter((m) => m === "runner stopped")).toHaveLength(5);
  });

  it("holds the secrets the run used nowhere", () => {
    // The run did use them: tokens were minted and JIT configs generated (one per launch).
    expect(issuedTokens.length).toBeGreaterThan(0);
    expect(jitConfigs).toHaveLength(5);
    const pem = t.bed.github.privateKeyPem;
    const pemBody = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
    const secrets: Array<[string, string]> = [
      ["webhook secret", t.bed.github.webhookSecret],
      ["private key (base64 SECRET_KEY_PEM)", Buffer.from(pem).toString("base64").slice(0, 64)],
      // Any 40-character run of the key's body, wherever a line break would have fallen.
      ...Array.from({ length: Math.floor(pemBody.length / 40) }, (_, i): [string, string] => ["private key body", pemBody.slice(i * 40, i * 40 + 40)]),
      ...issuedTokens.map((s): [string, string] => ["installation token", s]),
      ...jitConfigs.map((s): [string, string] => ["JIT config", s.slice(0, 64)]),
    ];
    const text = lines.join("\n");
    // An escaped PEM in JSON has "\n" for line breaks: strip them before looking for runs of the body.
    const flat = text.replace(/\\n/g, "");
    const leaks = secrets.filter(([, s]) => text.includes(s) || flat.includes(s)).map(([what]) => what);
    expect(leaks).toEqual([]);
  });

  it("puts jobId on every line that mentions one of the run's jobs", () => {
    const ids = [...seed.launched, seed.staticJob].map(String);
    const about = parsed().filter((l) => {
      const { jobId: _ignored, ...rest } = l;
      const s = JSON.stringify(rest);
      return ids.some((id) => s.includes(id));
    });
    const missing = about.filter((l) => l["jobId"] === undefined).map((l) => l["msg"]);
    expect(missing).toEqual([]);
    // and the lines that are about a job by their nature carry it too
    const byNature = parsed().filter((l) => ["job taken in", "job not launched", "runner launched", "runner stopped"].includes(String(l["msg"])));
    expect(byNature.length).toBeGreaterThanOrEqual(5 + 1 + 5 + 5);
    expect(byNature.filter((l) => typeof l["jobId"] !== "number")).toEqual([]);
  });
});
