import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock, systemClock, type Clock } from "../clock/clock.js";
import { startGitHubSim } from "../../testbed/github/index.js";
import { createGitHubClients, type GitHubClientOptions, type Logger } from "./auth.js";
import { GitHubError } from "./errors.js";
import { silentServer } from "../../test/support/silent-server.js";
import { OctokitGitHub } from "./octokit-github.js";

type Sim = Awaited<ReturnType<typeof startGitHubSim>>;

// Compressed time: retry-after waits and backoffs of seconds pass in milliseconds; token lifetimes in seconds.
const SPEED = 200;

function recordingLogger(): Logger & { lines: { level: string; msg: string; obj: object }[] } {
  const lines: { level: string; msg: string; obj: object }[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, msg, obj });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function appPort(sim: Sim, clock: Clock, over: Partial<GitHubClientOptions> = {}) {
  const clients = createGitHubClients({
    auth: { kind: "app", appId: sim.appId, privateKeyPem: sim.privateKeyPem },
    baseUrl: sim.url,
    clock,
    ...over,
  });
  return { clients, gh: new OctokitGitHub(clients, { clock }) };
}

async function caught(p: Promise<unknown>): Promise<GitHubError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GitHubError) return e;
    throw e;
  }
  throw new Error("expected a GitHubError");
}

describe("OctokitGitHub against the GitHub simulator", () => {
  let sim: Sim;
  let clock: Clock;
  let repo: { installationId: number; owner: string; repo: string };
  beforeAll(async () => {
    clock = scaledClock(SPEED);
    sim = await startGitHubSim({ clock });
    repo = { installationId: sim.installationId, owner: sim.owner, repo: sim.repo };
  });
  afterAll(() => sim.close());

  it("says the App is not installed, and how to fix it, when GitHub answers 404 to the installation token", async () => {
    const { gh } = appPort(sim, clock);
    // An installation id GitHub does not know: the App was uninstalled, or the id is wrong (POST …/access_tokens → 404).
    const e = await caught(gh.listRunners({ ...repo, installationId: sim.installationId + 1000, scope: "repo" }));
    expect(e.kind).toBe("not-found");
    expect(e.message).toMatch(new RegExp(`the GitHub App is not installed as installation ${sim.installationId + 1000}`));
    expect(e.message).toMatch(/Fix: install the App on the organization or user .*or correct the installation id/);
    expect(e.message).not.toMatch(/^Not Found$/);
  });

  it("authenticates as the App and mints one installation token for many calls", async () => {
    const { clients, gh } = appPort(sim, clock);
    const before = sim.control.stats().tokensIssued;
    await Promise.all([1, 2, 3, 4, 5].map(() => gh.listRunners({ ...repo, scope: "repo" })));
    for (let i = 0; i < 5; i++) await gh.listQueuedRuns(repo);
    expect(sim.control.stats().tokensIssued - before).toBe(1);
    expect(clients.tokensMinted()).toBe(1);
    // The same Octokit instance serves the installation every time.
    expect(clients.forInstallation(sim.installationId)).toBe(clients.forInstallation(sim.installationId));
  });

  it("falls back to a personal access token; App-only calls then say why they cannot work", async () => {
    const clients = createGitHubClients({ auth: { kind: "token", token: sim.control.personalToken }, baseUrl: sim.url, clock });
    const gh = new OctokitGitHub(clients, { clock });
    const before = sim.control.stats().tokensIssued;
    const runners = await gh.listRunners({ owner: sim.owner, repo: sim.repo, scope: "repo" });
    expect(Array.isArray(runners)).toBe(true);
    expect(sim.control.stats().tokensIssued).toBe(before);
    const err = await caught(gh.listWebhookDeliveries());
    expect(err.kind).toBe("forbidden");
    expect(err.message).toMatch(/GitHub App/);
  });

  it("reports a bad token as unauthorized", async () => {
    const clients = createGitHubClients({ auth: { kind: "token", token: "ghp_not-a-real-token" }, baseUrl: sim.url, clock });
    const err = await caught(new OctokitGitHub(clients).listRunners({ ...repo, scope: "repo" }));
    expect(err.kind).toBe("unauthorized");
    expect(err.status).toBe(401);
  });

  it("generates a repository JIT config registering exactly the given labels", async () => {
    const { gh } = appPort(sim, clock, { writeSpacingMs: 0 });
    const labels = ["self-hosted", "tornade", "4242", "runs-on=FARGATE_SPOT", "arch=ARM64"];
    const jit = await gh.generateJitConfig({ ...repo, scope: "repo", runnerGroupId: 1, name: "tornade-4242-1", labels });
    expect(jit.runnerId).toBeGreaterThan(0);
    expect(() => JSON.parse(Buffer.from(jit.encodedJitConfig, "base64").toString())).not.toThrow();
    const runner = sim.control.listRunners().find((r) => r.id === jit.runnerId);
    expect(runner?.name).toBe("tornade-4242-1");
    expect(runner?.labels.map((l) => l.name)).toEqual(labels);
    expect(runner?.repo).toBe(sim.repo);
    const viaApi = await gh.getRunner({ ...repo, scope: "repo" }, jit.runnerId);
    expect(viaApi.name).toBe("tornade-4242-1");
  });

  it("generates an organization JIT config in a runner group", async () => {
    const { gh } = appPort(sim, clock, { writeSpacingMs: 0 });
    const group = sim.control.addRunnerGroup("tornade");
    const labels = ["self-hosted", "tornade", "org-job"];
    const jit = await gh.generateJitConfig({ ...repo, scope: "org", runnerGroupId: group.id, name: "tornade-org-1", labels });
    const runner = sim.control.listRunners().find((r) => r.id === jit.runnerId);
    expect(runner?.repo).toBeNull();
    expect(runner?.labels.map((l) => l.name)).toEqual(labels);
    const orgRunners = await gh.listRunners({ ...repo, scope: "org" });
    expect(orgRunners.map((r) => r.id)).toContain(jit.runnerId);
  });

  it("maps a duplicate runner name to 'conflict' (409) and empty labels to 'invalid' (422)", async () => {
    const { gh } = appPort(sim, clock, { writeSpacingMs: 0 });
    const req = { ...repo, scope: "repo" as const, runnerGroupId: 1, name: "tornade-dup-1", labels: ["self-hosted", "tornade"] };
    await gh.generateJitConfig(req);
    const dup = await caught(gh.generateJitConfig(req));
    expect(dup.kind).toBe("conflict");
    expect(dup.status).toBe(409);
    const bad = await caught(gh.generateJitConfig({ ...req, name: "tornade-nolabels-1", labels: [] }));
    expect(bad.kind).toBe("invalid");
    expect(bad.status).toBe(422);
  });

  it("deletes a runner, and deleting it again is not an error", async () => {
    const { gh } = appPort(sim, clock, { writeSpacingMs: 0 });
    const target = { ...repo, scope: "repo" as const };
    const jit = await gh.generateJitConfig({ ...target, runnerGroupId: 1, name: "tornade-del-1", labels: ["self-hosted"] });
    await gh.deleteRunner(target, jit.runnerId);
    await gh.deleteRunner(target, jit.runnerId);
    expect(sim.control.listRunners().some((r) => r.id === jit.runnerId)).toBe(false);
    expect((await caught(gh.getRunner(target, jit.runnerId))).kind).toBe("not-found");
  });

  it("finds one runner by its exact name in one request, and nothing for a name not registered", async () => {
    const { gh } = appPort(sim, clock, { writeSpacingMs: 0 });
    const target = { ...repo, scope: "repo" as const };
    for (const name of ["tornade-find-1", "tornade-find-10", "tornade-find-2"]) {
      await gh.generateJitConfig({ ...target, runnerGroupId: 1, name, labels: ["self-hosted"] });
    }
    const before = sim.control.stats().requests["GET /repos/{owner}/{repo}/actions/runners"] ?? 0;
    expect((await gh.findRunner(target, "tornade-find-1"))?.name).toBe("tornade-find-1");
    expect(await gh.findRunner(target, "tornade-find-3")).toBeUndefined();
    expect(sim.control.stats().requests["GET /repos/{owner}/{repo}/actions/runners"]).toBe(before + 2);
  });

  it("reads jobs and queued runs, and a re-run is refused while the run is in progress", async () => {
    const { gh } = appPort(sim, clock, { writeSpacingMs: 0 });
    const run = sim.control.createRun({ jobs: [{ name: "build", labels: ["self-hosted", "tornade", "x"], durationSeconds: 60 }] });
    const jobId = Number(run.jobs[0]?.id ?? 0);
    const job = await gh.getJob(repo, jobId);
    expect(job).toMatchObject({ id: jobId, runId: run.id, name: "build", status: "queued", labels: ["self-hosted", "tornade", "x"] });
    expect((await gh.listRunJobs(repo, run.id)).map((j) => j.id)).toEqual([jobId]);
    const queued = await gh.listQueuedRuns(repo, { since: clock.now() - 60_000 });
    expect(queued.map((r) => r.id)).toContain(run.id);
    const refused = await caught(gh.rerunJob(repo, jobId));
    expect(refused.kind).toBe("forbidden");
    expect((await caught(gh.getJob(repo, 987654321))).kind).toBe("not-found");
  });

  it("observes rate-limit headers per installation", async () => {
    const { clients, gh } = appPort(sim, clock);
    await gh.listRunners({ ...repo, scope: "repo" });
    const obs = clients.rateLimits().find((o) => o.key === String(sim.installationId) && o.resource === "core");
    expect(obs?.limit).toBeGreaterThan(0);
    expect(obs?.remaining).toBeLessThan(obs?.limit ?? 0);
    expect(gh.rateLimits()).toEqual(clients.rateLimits());
  });

  it("retries a 5xx and succeeds; gives up as 'transient' after its bounded retries", async () => {
    const { gh } = appPort(sim, clock);
    const route = "/repos/{owner}/{repo}/actions/runners";
    sim.control.resetStats();
    sim.control.failEndpoint({ method: "GET", route, status: 502, times: 2 });
    await gh.listRunners({ ...repo, scope: "repo" });
    expect(sim.control.stats().responses[`GET ${route} 502`]).toBe(2);
    sim.control.failEndpoint({ method: "GET", route, status: 503, times: 10 });
    const err = await caught(gh.listRunners({ ...repo, scope: "repo" }));
    expect(err.kind).toBe("transient");
    expect(sim.control.stats().responses[`GET ${route} 503`]).toBe(4); // the call and 3 retries
    sim.control.clearFaults();
  });

  it("cuts off a request GitHub never answers, tries it again, then fails as 'unreachable' (timed out)", async () => {
    const silent = await silentServer();
    try {
      const clients = createGitHubClients({ auth: { kind: "token", token: "ghp_silent" }, baseUrl: silent.url, clock, requestTimeoutMs: 200, maxServerErrorRetries: 1 });
      const err = await caught(new OctokitGitHub(clients, { clock }).listRunners({ ...repo, scope: "repo" }));
      expect(err.kind).toBe("unreachable");
      expect(err.details.network?.kind).toBe("timeout");
      expect(silent.requests).toEqual([`GET /repos/${repo.owner}/${repo.repo}/actions/runners?per_page=100`, `GET /repos/${repo.owner}/${repo.repo}/actions/runners?per_page=100`]);
    } finally {
      await silent.close();
    }
  });

  it("lists webhook deliveries by cursor and asks for a redelivery (App JWT)", async () => {
    const failing: Server = createServer((_req, res) => res.writeHead(500).end());
    await new Promise<void>((r) => failing.listen(0, "127.0.0.1", () => r()));
    try {
      sim.control.setWebhookUrl(`http://127.0.0.1:${(failing.address() as AddressInfo).port}/events`);
      sim.control.createRun({ jobs: [1, 2, 3].map((i) => ({ name: `j${i}`, labels: ["self-hosted"], durationSeconds: 60 })) });
      await sim.control.deliveriesIdle();
      const { gh } = appPort(sim, clock, { writeSpacingMs: 0 });
      const first = await gh.listWebhookDeliveries({ perPage: 2 });
      expect(first.deliveries).toHaveLength(2);
      expect(first.nextCursor).toBeTruthy();
      const second = await gh.listWebhookDeliveries({ perPage: 2, cursor: first.nextCursor });
      expect(second.deliveries[0]?.id).toBeLessThan(first.deliveries[1]?.id ?? 0);
      const failed = first.deliveries.find((d) => d.statusCode >= 500);
      expect(failed).toBeDefined();
      await gh.redeliver(failed?.id ?? 0);
      await sim.control.deliveriesIdle();
      const after = await gh.listWebhookDeliveries({ perPage: 10 });
      expect(after.deliveries.some((d) => d.redelivery && d.guid === failed?.guid)).toBe(true);
    } finally {
      sim.control.setWebhookUrl(null);
      await new Promise<void>((r) => failing.close(() => r()));
    }
  });

  it("never logs the token, the private key or a JIT config", async () => {
    const logger = recordingLogger();
    const { gh } = appPort(sim, clock, { logger, writeSpacingMs: 0 });
    const jit = await gh.generateJitConfig({ ...repo, scope: "repo", runnerGroupId: 1, name: "tornade-log-1", labels: ["self-hosted"] });
    sim.control.failEndpoint({ method: "GET", route: "/repos/{owner}/{repo}/actions/runners", status: 500, times: 1 });
    await gh.listRunners({ ...repo, scope: "repo" });
    const text = JSON.stringify(logger.lines);
    expect(text).not.toContain(jit.encodedJitConfig);
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).not.toMatch(/ghs_/);
  });
});

describe("installation token lifetime", () => {
  // 1 clock hour = 3.6 real seconds, so a token's whole life fits in a test; an App JWT's 10 minutes are 0.6 real
  // seconds, time enough for it to reach the test bed on a busy machine.
  let fastSim: Sim;
  let fast: Clock;
  let fastRepo: { installationId: number; owner: string; repo: string };
  beforeAll(async () => {
    fast = scaledClock(1000);
    fastSim = await startGitHubSim({ clock: fast });
    fastRepo = { installationId: fastSim.installationId, owner: fastSim.owner, repo: fastSim.repo };
  });
  afterAll(() => fastSim.close());

  it("mints a new token shortly before the old one expires (1 hour), not after", async () => {
    const { clients, gh } = appPort(fastSim, fast, { tokenRefreshMarginMs: 5 * 60_000 });
    const until = (at: number) => fast.sleep(Math.max(0, at - fast.now()));
    // The token is minted between `asked` and `got`: the later calls are timed from those, not from how long the
    // first call took (many clock minutes when the machine is busy).
    const asked = fast.now();
    await gh.listRunners({ ...fastRepo, scope: "repo" });
    const got = fast.now();
    await until(asked + 50 * 60_000);
    await gh.listRunners({ ...fastRepo, scope: "repo" });
    expect(clients.tokensMinted()).toBe(1);
    await until(got + 56 * 60_000);
    await gh.listRunners({ ...fastRepo, scope: "repo" });
    expect(clients.tokensMinted()).toBe(2);
  });

  it("signs again by GitHub's time when GitHub refuses a JWT for its clock (auth-app's retry), and the call succeeds", async () => {
    // GitHub on the system time; tornade's (compressed, as in the sandbox) clock 20 minutes behind it, so its first
    // JWT has expired by GitHub's clock. auth-app measures the difference against the system time.
    const github = await startGitHubSim({ clock: systemClock });
    try {
      const behind = scaledClock(1000, Date.now() - 20 * 60_000);
      const logger = recordingLogger();
      const { gh } = appPort(github, behind, { logger });
      const runners = await gh.listRunners({ installationId: github.installationId, owner: github.owner, repo: github.repo, scope: "repo" });
      expect(runners).toBeInstanceOf(Array);
      expect(logger.lines.some((l) => /time and system time are different/.test(l.msg))).toBe(true);
    } finally {
      await github.close();
    }
  });
});

describe("throttling against the simulator's secondary limit", () => {
  let sim: Sim;
  let clock: Clock;
  beforeAll(async () => {
    clock = scaledClock(SPEED);
    // Two POSTs a minute on one endpoint: the third waits for GitHub's retry-after; four at once are spread over several.
    sim = await startGitHubSim({ clock, limits: { pointsPerMinute: 10, writeCost: 5 } });
  });
  afterAll(() => sim.close());

  it("lands every write: the call policy sits out each retry-after the test bed answers with", async () => {
    const logger = recordingLogger();
    const { gh } = appPort(sim, clock, { logger, writeSpacingMs: 0 });
    const target = { installationId: sim.installationId, owner: sim.owner, repo: sim.repo, scope: "repo" as const };
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) => gh.generateJitConfig({ ...target, runnerGroupId: 1, name: `tornade-burst-${i}`, labels: ["self-hosted"] })),
    );
    expect(new Set(results.map((r) => r.runnerId)).size).toBe(4);
    expect(sim.control.listRunners().filter((r) => r.name.startsWith("tornade-burst-"))).toHaveLength(4);
    // The limit was really hit (nothing on the client spaced the writes), and each refusal was waited out.
    expect(sim.control.stats().secondaryLimited).toBeGreaterThanOrEqual(2);
    expect(logger.lines.filter((l) => /secondary rate limit/.test(l.msg)).every((l) => (l.obj as { again: boolean }).again)).toBe(true);
  });

  it("waits out retry-after on the secondary limit and succeeds, logging through the injected logger", async () => {
    const logger = recordingLogger();
    const { gh } = appPort(sim, clock, { logger, writeSpacingMs: 0 });
    const target = { installationId: sim.installationId, owner: sim.owner, repo: sim.repo, scope: "repo" as const };
    const limitedBefore = sim.control.stats().secondaryLimited;
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(await gh.generateJitConfig({ ...target, runnerGroupId: 1, name: `tornade-thr-${i}`, labels: ["self-hosted"] }));
    }
    expect(new Set(results.map((r) => r.runnerId)).size).toBe(3);
    expect(sim.control.stats().secondaryLimited - limitedBefore).toBeGreaterThanOrEqual(1);
    expect(logger.lines.some((l) => l.level === "warn" && /secondary rate limit/.test(l.msg))).toBe(true);
  });

  it("fails as 'rate-limited' once its bounded retries are spent", async () => {
    const { gh } = appPort(sim, clock, { maxRateLimitRetries: 0, writeSpacingMs: 0 });
    const target = { installationId: sim.installationId, owner: sim.owner, repo: sim.repo, scope: "repo" as const };
    let err: GitHubError | undefined;
    for (let i = 0; i < 4 && !err; i++) {
      err = await gh
        .generateJitConfig({ ...target, runnerGroupId: 1, name: `tornade-rl-${i}`, labels: ["self-hosted"] })
        .then(() => undefined, (e: unknown) => (e instanceof GitHubError ? e : Promise.reject(e)));
    }
    expect(err?.kind).toBe("rate-limited");
    expect(err?.details.retryAt).toBeGreaterThan(0);
  });
});

describe("pacing and the primary limit", () => {
  let sim: Sim;
  let clock: Clock;
  const posts: number[] = [];
  beforeAll(async () => {
    clock = scaledClock(SPEED);
    sim = await startGitHubSim({
      clock,
      limits: { primaryPerHour: 12 },
      onResponse: (r) => {
        if (r.method === "POST" && r.route.endsWith("/generate-jitconfig")) posts.push(clock.now());
      },
    });
  });
  afterAll(() => sim.close());

  it("spaces mutating requests by writeSpacingMs of clock time (GitHub's one-second advice, scaled here)", async () => {
    const { gh } = appPort(sim, clock, { writeSpacingMs: 30_000 });
    const target = { installationId: sim.installationId, owner: sim.owner, repo: sim.repo, scope: "repo" as const };
    // Mint the token first, so the first POST is not delayed by it on its way to the sim.
    await gh.listRunners(target);
    await Promise.all(
      [0, 1, 2].map((i) => gh.generateJitConfig({ ...target, runnerGroupId: 1, name: `tornade-pace-${i}`, labels: ["x"] })),
    );
    expect(posts).toHaveLength(3);
    const sorted = [...posts].sort((a, b) => a - b);
    // Lower bounds in clock time only: the gate may be late, never early. Slack for request latency, which the
    // compressed clock magnifies (1 real ms = 200 clock ms).
    expect((sorted[1] ?? 0) - (sorted[0] ?? 0)).toBeGreaterThanOrEqual(20_000);
    expect((sorted[2] ?? 0) - (sorted[1] ?? 0)).toBeGreaterThanOrEqual(20_000);
  });

  it("fails fast as 'rate-limited', with the reset time, when the hourly limit is spent", async () => {
    const { gh } = appPort(sim, clock);
    const target = { installationId: sim.installationId, owner: sim.owner, repo: sim.repo, scope: "repo" as const };
    let err: GitHubError | undefined;
    for (let i = 0; i < 20 && !err; i++) {
      err = await gh.listRunners(target).then(() => undefined, (e: unknown) => (e instanceof GitHubError ? e : Promise.reject(e)));
    }
    expect(err?.kind).toBe("rate-limited");
    expect(err?.details.retryAt).toBeGreaterThan(clock.now() - 1000);
    expect(gh.rateLimits().find((o) => o.key === String(sim.installationId))?.remaining).toBe(0);
  });
});
