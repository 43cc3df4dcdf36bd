// Poking the `npm start` sandbox by hand: its banner prints the webhook secret and a curl line; run as printed, in a
// shell, that line posts a signed workflow_job delivery — GitHub's own, of a job whose webhook the simulated GitHub
// held back — and tornade takes it in, launches a runner, and the job runs to success.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../testbed/until.js";

const bin = join(import.meta.dirname, "../../bin/tornade.js");
const dir = mkdtempSync(join(tmpdir(), "tornade-poke-"));
let child: ChildProcess;
let exited: Promise<number | null>;
let stderr = "";

function shell(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile("sh", ["-c", line], { cwd: dir, env: { PATH: process.env["PATH"] } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  child = spawn(process.execPath, [bin, "serve", "--sandbox", "--port", "0", "--admin-port", "0", "--speed", "300"], {
    cwd: dir,
    env: { PATH: process.env["PATH"] },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  exited = new Promise((r) => child.once("exit", (code) => r(code)));
  const deadline = Date.now() + 30_000;
  while (!/^ {2}curl /m.test(stderr) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
}, 40_000);

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill("SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

const banner = () => ({
  url: /tornade: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1] ?? "",
  adminUrl: /operator: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1] ?? "",
  secret: /webhook secret: (\S+)/.exec(stderr)?.[1] ?? "",
  jobId: Number(/job (\d+) is queued on the simulated GitHub/.exec(stderr)?.[1]),
  file: /posts it \((\S+delivery\.json);/.exec(stderr)?.[1] ?? "",
  curl: /^ {2}(curl .*)$/m.exec(stderr)?.[1] ?? "",
});

describe("the sandbox banner", () => {
  it("prints the webhook secret and a curl line that posts a signed delivery; the job it names then runs", async () => {
    const b = banner();
    expect(b.secret).toMatch(/^[0-9a-f]{40}$/);
    expect(b.curl).toContain(`${b.url}/events`);
    const body = JSON.parse(readFileSync(b.file, "utf8")) as { action: string; workflow_job: { id: number } };
    expect(body).toMatchObject({ action: "queued", workflow_job: { id: b.jobId } });
    type Job = { id: number; name: string; repository: string; state: string; reason: string | null };
    const job = async () => ((await (await fetch(`${b.adminUrl}/api/state`)).json()) as { jobs: Job[] }).jobs.find((j) => j.id === b.jobId);
    // Held back: tornade has not heard of the job before the post.
    expect(await job()).toBeUndefined();

    const posted = await shell(b.curl);
    expect(posted.stderr).toBe("");
    expect(JSON.parse(posted.stdout)).toEqual({ job: b.jobId, decision: "launch", stored: "created" });

    const done = await until("the poked job to complete", async () => ((await job())?.state === "done" ? await job() : undefined), 30_000);
    expect(done).toMatchObject({ name: "poked-by-hand", repository: "tornade-org/poke", reason: "success" });
  });

  it("is refused with 401 when the line signs with another secret", async () => {
    const b = banner();
    const forged = b.curl.replace(`'${b.secret}'`, "'not-the-secret'");
    expect(forged).not.toBe(b.curl);
    const r = await shell(forged);
    expect(JSON.parse(r.stdout)).toEqual({ error: "missing or invalid X-Hub-Signature-256" });
  });

  it("removes the example delivery when the sandbox stops", async () => {
    const { file } = banner();
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
  });
});
