// `tornade check` spawned for real against a standing test bed (simulated GitHub and AWS in this process): all pass,
// then one thing broken at a time, each seen as its failing check with the fix, and exit 1.
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../clock/clock.js";
import { createGitHubClients } from "../github/auth.js";
import { ScaleSetClient } from "../github/scaleset/index.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import type { CheckResult } from "./result.js";
import { spawnTornade, testbedEnv } from "../../test/support/bed-tornade.js";
import { silentServer } from "../../test/support/silent-server.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-check-"));
let bed: TestBed;
let env: Record<string, string>;

beforeAll(async () => {
  // Real time: the spawned tornade signs its App JWT with the system clock, as in production.
  bed = await startTestBed({ runnerLog: () => {} });
  env = testbedEnv(bed, { TORNADE_ALLOWED_REPOSITORIES: `${bed.github.owner}/${bed.github.repo}` });
});
afterAll(async () => {
  await bed?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A port on 127.0.0.1 where nothing listens: bound, then closed. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  await new Promise((ok) => server.close(ok));
  return port;
}

const check = (overrides: Record<string, string> = {}, args: string[] = []) => spawnTornade(["check", ...args], { ...env, ...overrides }, dir);
const failing = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("FAIL"));

describe("tornade check", () => {
  it("passes every check against a correctly configured test bed", async () => {
    const r = await check();
    // stderr may carry the AWS SDK's own Node-version notice; never an error of tornade's.
    expect(r.stderr).not.toMatch(/tornade check:/);
    expect(failing(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const d = bed.description();
    for (const line of [
      "PASS  configuration: valid",
      "PASS  github: App credentials:",
      `PASS  github: installation ${d.github.installationId} (${d.github.owner}) token: minted`,
      `PASS  github: repository ${d.github.owner}/${d.github.repo}: runners readable`,
      `PASS  aws: ECS cluster ${d.aws.cluster}: ACTIVE`,
      `PASS  aws: task definition ${d.aws.taskDefinitions.X86_64} (X86_64)`,
      `PASS  aws: task definition ${d.aws.taskDefinitions.ARM64} (ARM64)`,
      `PASS  aws: CodeBuild project ${d.aws.codebuildProject}`,
    ]) {
      expect(r.stdout).toContain(line);
    }
    expect(r.stdout).toMatch(/all \d+ checks passed/);
  });

  it("never prints a secret", async () => {
    const r = await check({}, ["--json"]);
    const pemBody = bed.github.privateKeyPem.split("\n")[1] ?? "";
    expect(r.stdout).not.toContain(pemBody);
    expect(r.stdout).not.toContain(bed.github.webhookSecret);
    expect(r.stdout).not.toMatch(/ghs_/);
  });

  it("answers JSON with --json", async () => {
    const r = await check({}, ["--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; checks: CheckResult[] };
    expect(out.ok).toBe(true);
    expect(out.checks.length).toBeGreaterThanOrEqual(8);
    expect(out.checks.every((c) => c.status === "pass")).toBe(true);
  });

  it("fails on an unknown cluster, with the fix", async () => {
    const r = await check({ TORNADE_ECS_CLUSTER: "no-such-cluster" });
    expect(r.code).toBe(1);
    expect(failing(r.stdout)).toEqual(["FAIL  aws: ECS cluster no-such-cluster: not found (MISSING)"]);
    expect(r.stdout).toMatch(/FAIL {2}aws: ECS cluster no-such-cluster: not found \(MISSING\)\n {6}fix: create it .*or set TORNADE_ECS_CLUSTER/);
    expect(r.stdout).toMatch(/1 of \d+ checks failed/);
  });

  it("fails on a private key that is not the App's", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const r = await check({ SECRET_KEY_PEM: Buffer.from(other).toString("base64") });
    expect(r.code).toBe(1);
    expect(failing(r.stdout)).toEqual([expect.stringMatching(/^FAIL {2}github: App credentials: GitHub refused the App's JWT/)]);
    expect(r.stdout).toMatch(/fix: check that APP_ID \(\d+\) is the App's ID and SECRET_KEY_PEM its current private key/);
  });

  it("fails on a task definition of the wrong arch, a missing CodeBuild project and a repository without the App", async () => {
    const d = bed.description();
    const r = await check({
      TORNADE_TASK_DEFINITION_ARM64: d.aws.taskDefinitions.X86_64,
      TORNADE_CODEBUILD_PROJECT_ARM64: "no-such-project",
      TORNADE_ALLOWED_REPOSITORIES: `${d.github.owner}/${d.github.repo},${d.github.owner}/not-installed`,
    });
    expect(r.code).toBe(1);
    expect(failing(r.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^FAIL {2}github: repository ${d.github.owner}/not-installed: the App is not installed on ${d.github.owner}/not-installed`)),
      `FAIL  aws: task definition ${d.aws.taskDefinitions.X86_64} (ARM64): its runtimePlatform.cpuArchitecture is X86_64`,
      "FAIL  aws: CodeBuild project no-such-project: not found",
    ]);
    expect(r.stdout).toContain("fix: set aws.taskDefinitions.ARM64 to a task definition with cpuArchitecture ARM64");
  });

  it("tells an unreachable GitHub (connection refused) and AWS (no answer) from refused credentials or missing resources", async () => {
    const dead = await deadPort();
    const silent = await silentServer();
    try {
      const r = await check({ TORNADE_GITHUB_BASE_URL: `http://127.0.0.1:${dead}`, TORNADE_AWS_ENDPOINT: silent.url }, ["--timeout", "1s"]);
      expect(r.code).toBe(1);
      expect(failing(r.stdout)).toEqual([
        `FAIL  github: App credentials: cannot reach GitHub at http://127.0.0.1:${dead}: connection refused (ECONNREFUSED)`,
        `FAIL  aws: ECS cluster ${bed.description().aws.cluster}: cannot reach AWS (ECS) at ${silent.url}: timed out (ETIMEDOUT)`,
        `FAIL  aws: CodeBuild projects ${bed.description().aws.codebuildProject}: cannot reach AWS (CodeBuild) at ${silent.url}: timed out (ETIMEDOUT)`,
      ]);
      expect(r.stdout).toMatch(/fix: check the host and port in TORNADE_GITHUB_BASE_URL .*: nothing accepts connections there/);
      expect(r.stdout).toMatch(/fix: check that this machine can reach it .* and TORNADE_AWS_ENDPOINT .*allow more time with --timeout/);
      // Said once: the task definitions are not each reported as missing.
      expect(r.stdout).toMatch(/SKIP {2}aws: task definition .*: not checked: ECS cannot be reached/);
      expect(r.stdout).not.toMatch(/APP_ID|register it|JWT/);
    } finally {
      await silent.close();
    }
  });

  it("names the repository the App is not installed on, with where to install it, and the permission it lacks", async () => {
    const d = bed.description();
    bed.github.control.setRepositoryVisibility("tools", "private");
    bed.github.control.setInstalledRepositories([d.github.repo]);
    bed.github.control.setPermission("administration", null);
    try {
      const r = await check({ TORNADE_ALLOWED_REPOSITORIES: `${d.github.owner}/${d.github.repo},${d.github.owner}/tools` });
      expect(r.code).toBe(1);
      expect(failing(r.stdout)).toEqual([
        `FAIL  github: installation ${d.github.installationId} (${d.github.owner}) token: a token was minted, but the App lacks Administration: write on ${d.github.owner}`,
        `FAIL  github: repository ${d.github.owner}/${d.github.repo}: the App lacks Administration: write on ${d.github.owner}/${d.github.repo} (GitHub: Resource not accessible by integration)`,
        `FAIL  github: repository ${d.github.owner}/tools: the App is not installed on ${d.github.owner}/tools (GitHub answers 404 for it: no installation covers it, or it does not exist)`,
      ]);
      expect(r.stdout).toContain("fix: grant it in the App's settings (Permissions & events → Repository permissions → Administration: Read and write)");
      // GET /app's html_url + /installations/new: where GitHub installs an App on more repositories.
      expect(r.stdout).toMatch(new RegExp(`fix: install it at ${d.github.url}/apps/[\\w-]+/installations/new \\(on ${d.github.owner}/tools\\), or remove it from TORNADE_ALLOWED_REPOSITORIES`));
    } finally {
      bed.github.control.setInstalledRepositories(null);
      bed.github.control.setPermission("administration", "write");
    }
  });

  it("tells AWS's access denied from a missing task definition", async () => {
    bed.aws.control.failNext({
      service: "ecs",
      operation: "DescribeClusters",
      error: "AccessDeniedException",
      message: "User: arn:aws:sts::123456789012:assumed-role/tornade/i-0 is not authorized to perform: ecs:DescribeClusters",
    });
    const r = await check({ TORNADE_TASK_DEFINITION_ARM64: "no-such-family:1" });
    expect(r.code).toBe(1);
    expect(failing(r.stdout)).toEqual([
      expect.stringMatching(/^FAIL {2}aws: ECS cluster \S+: access denied \(AccessDeniedException: User: .* is not authorized to perform: ecs:DescribeClusters\)$/),
      "FAIL  aws: task definition no-such-family:1 (ARM64): not found (ClientException: Unable to describe task definition.)",
    ]);
    expect(r.stdout).toContain("fix: allow ecs:DescribeClusters to tornade's IAM role");
    expect(r.stdout).toContain("fix: register it, or correct aws.taskDefinitions.ARM64");
  });

  it("names codebuild:ListBuildsForProject when the role may not list a runner project's builds", async () => {
    const project = bed.description().aws.codebuildProject;
    bed.aws.control.failNext({
      service: "codebuild",
      operation: "ListBuildsForProject",
      error: "AccessDeniedException",
      message: "User: arn:aws:sts::123456789012:assumed-role/tornade/i-0 is not authorized to perform: codebuild:ListBuildsForProject",
    });
    const r = await check({});
    expect(r.code).toBe(1);
    expect(failing(r.stdout)).toEqual([expect.stringMatching(new RegExp(`^FAIL {2}aws: CodeBuild project ${project}: access denied \\(AccessDeniedException: .*codebuild:ListBuildsForProject\\)$`))]);
    expect(r.stdout).toContain("fix: allow codebuild:ListBuildsForProject to tornade's IAM role");
  });

  it("refuses a bad --timeout without the usage text", async () => {
    const r = await check({}, ["--timeout", "soon"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--timeout must be a duration above zero, a number and a unit/);
    expect(r.stderr).not.toMatch(/usage:/);
  });

  it("reports configuration problems with their keys and fixes", async () => {
    const r = await check({ TORNADE_WORKERS: "many" });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}configuration: TORNADE_WORKERS \(workers\.concurrency\): .*\n {6}fix: a whole number from 1 to 256/m);
  });

  it("fails when nothing is configured", async () => {
    const r = await spawnTornade(["check"], {}, dir);
    expect(r.code).toBe(1);
    // Every missing piece at once, each with its fix.
    expect(r.stdout).toMatch(/FAIL {2}configuration: github credentials: none given/);
    expect(r.stdout).toMatch(/FAIL {2}configuration: aws: no backend configured/);
  });
});

describe("tornade check with runner scale sets", () => {
  /** The scale sets `sets` (TORNADE_SCALE_SETS) in the test bed's repository, as an operator configures them. */
  const scaleSetEnv = (sets: string, more: Record<string, string> = {}) => {
    const d = bed.description().github;
    return { TORNADE_SCALE_SETS: sets, TORNADE_SCALE_SETS_OWNER: d.owner, TORNADE_SCALE_SETS_REPO: d.repo, TORNADE_SCALE_SETS_INSTALLATION_ID: String(d.installationId), ...more };
  };
  const scaleSetLines = (stdout: string) => stdout.split("\n").filter((l) => /^(PASS|FAIL|SKIP) {2}github: scale[- ]set/.test(l));

  it("passes when the App can manage them: the registration exchange, the runner group, each scale set read or not yet created", async () => {
    const d = bed.description().github;
    // One of them exists already, made by tornade's own client as `tornade serve` makes it.
    const client = new ScaleSetClient({
      github: createGitHubClients({ auth: { kind: "app", appId: d.appId, privateKeyPem: bed.github.privateKeyPem }, baseUrl: env["TORNADE_GITHUB_BASE_URL"] ?? "", clock: systemClock }),
      baseUrl: env["TORNADE_GITHUB_BASE_URL"] ?? "",
      scope: { scope: "repo", owner: d.owner, repo: d.repo, installationId: d.installationId },
    });
    const { scaleSet } = await client.ensureScaleSet({ name: "ss-there", labels: ["ss-there"] });
    const r = await check(scaleSetEnv("ss-new=FARGATE/X86_64:0-2,ss-there=FARGATE"));
    expect(failing(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    expect(scaleSetLines(r.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^PASS {2}github: scale-set registration in ${d.owner}/${d.repo}: the Actions service accepted the App's registration token for http://127\\.0\\.0\\.1:\\d+/${d.owner}/${d.repo}$`)),
      expect.stringMatching(/^PASS {2}github: scale-set runner group default: found \(id \d+\)$/),
      "PASS  github: scale set ss-new: not created yet: tornade serve creates it in runner group default at start",
      `PASS  github: scale set ss-there: exists (id ${scaleSet.id}, labels: ss-there); tornade serve brings its labels to the configured ones`,
    ]);
  });

  it("names the permission the App lacks to manage them, and where to grant it", async () => {
    const d = bed.description().github;
    bed.github.control.setPermission("administration", null);
    try {
      const r = await check(scaleSetEnv("ss-new=FARGATE"));
      expect(r.code).toBe(1);
      expect(scaleSetLines(r.stdout)).toEqual([
        `FAIL  github: scale-set registration in ${d.owner}/${d.repo}: the App lacks Administration: write on ${d.owner}/${d.repo}, which creating scale sets and their runners needs (GitHub: Resource not accessible by integration)`,
      ]);
      expect(r.stdout).toMatch(/scale-set registration .*\n {6}fix: grant it in the App's settings \(Permissions & events → Repository permissions → Administration: Read and write\), then accept the new permissions/);
    } finally {
      bed.github.control.setPermission("administration", "write");
    }
  });

  it("fails on a runner group that does not exist, and on a scale set serve could not launch, each with the fix", async () => {
    const group = await check(scaleSetEnv("ss-new=FARGATE", { TORNADE_SCALE_SETS_RUNNER_GROUP: "no-such-group" }));
    expect(group.code).toBe(1);
    expect(failing(group.stdout)).toEqual([`FAIL  github: scale-set runner group no-such-group: ${bed.description().github.owner}/${bed.description().github.repo} has no runner group named "no-such-group"`]);
    expect(group.stdout).toMatch(/fix: create it \(Settings → Actions → Runner groups\) or set TORNADE_SCALE_SETS_RUNNER_GROUP \(scaleSets\.runnerGroup\)/);

    const shape = await check(scaleSetEnv("ss-odd=FARGATE/X86_64/small/no-such-image"));
    expect(shape.code).toBe(1);
    expect(failing(shape.stdout)).toEqual([expect.stringMatching(/^FAIL {2}configuration: scaleSets\.sets\.0 \(ss-odd: .*\): .*no-such-image/)]);
    expect(shape.stdout).toContain("fix: name a backend, arch, size and image this tornade launches");
    expect(shape.stdout).not.toContain("PASS  configuration: valid");
  });
});
