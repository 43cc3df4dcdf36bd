import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ECSClient, RunTaskCommand } from "@aws-sdk/client-ecs";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBoot, parseArgs, UsageError } from "./cli.js";
import type { PortFile } from "./cli.js";
import { validateGitHubResponse } from "./spec/github-openapi.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function run(args: string[]): { child: ChildProcess; exited: Promise<{ code: number | null; stderr: string; stdout: string }> } {
  const child = spawn(process.execPath, ["bin/run-ts.js", "testbed/cli.ts", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
  child.stdout?.on("data", (b: Buffer) => (stdout += b.toString()));
  const exited = new Promise<{ code: number | null; stderr: string; stdout: string }>((done) =>
    child.on("exit", (code) => done({ code, stderr, stdout })),
  );
  return { child, exited };
}

/** Polls for the port file: it appears, whole, only once both simulators listen. */
async function waitForFile(path: string, exited: Promise<unknown>): Promise<string> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 600; i++) {
    try {
      return await readFile(path, "utf8");
    } catch {
      if (gone) throw new Error("the test bed exited before writing its port file");
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`no port file at ${path}`);
}

describe("testbed CLI arguments", () => {
  it("parses every flag, in both --flag value and --flag=value forms", () => {
    expect(parseArgs(["--port-file", "f.json", "--webhook-url=http://127.0.0.1:9/events", "--speed", "60", "--github-port=0", "--aws-port", "4566"])).toEqual({
      portFile: "f.json",
      webhookUrl: "http://127.0.0.1:9/events",
      speed: 60,
      githubPort: 0,
      awsPort: 4566,
    });
    expect(parseArgs(["--port-file", "f.json"])).toMatchObject({ speed: 1, githubPort: 0, awsPort: 0 });
    expect(parseArgs(["--port-file", "f.json", "--boot", "published"])).toMatchObject({ boot: "published" });
    expect(parseArgs(["--port-file", "f.json", "--help"])).toBe("help");
  });

  it.each([
    [["--speed", "2"], "--port-file"],
    [["--port-file", "f", "--speed", "0"], "--speed"],
    [["--port-file", "f", "--speed", "fast"], "--speed"],
    [["--port-file", "f", "--github-port", "70000"], "--github-port"],
    [["--port-file", "f", "--aws-port", "-1"], "--aws-port"],
    [["--port-file", "f", "--webhook-url", "ftp://x"], "--webhook-url"],
    [["--port-file"], "--port-file"],
    [["--port-file", "f", "--bogus"], "--bogus"],
    [["--port-file", "f", "--boot"], "--boot"],
  ])("%j is a usage error naming %s", (argv, flag) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(flag);
  });

  it("reads --boot as a profile or a boot model file, naming the file and every problem in a bad one", async () => {
    expect(await loadBoot(undefined)).toBeUndefined();
    expect(await loadBoot("published")).toEqual({ profile: "published" });
    const dir = await mkdtemp(join(tmpdir(), "tornade-testbed-boot-"));
    try {
      const good = join(dir, "good.json");
      await writeFile(good, JSON.stringify({ profile: "published", seed: 4, imageSizesMiB: { "my/runner:1": 1800 } }));
      expect(await loadBoot(good)).toMatchObject({ seed: 4 });
      const bad = join(dir, "bad.json");
      await writeFile(bad, JSON.stringify({ profile: "slow", fargate: { pull: { msPerMiB: -1 } } }));
      await expect(loadBoot(bad)).rejects.toThrow(UsageError);
      await expect(loadBoot(bad)).rejects.toThrow(/bad\.json.*profile.*fargate\.pull\.msPerMiB/);
      const notJson = join(dir, "not.json");
      await writeFile(notJson, "{ profile: published");
      await expect(loadBoot(notJson)).rejects.toThrow(/not\.json is not JSON/);
      await expect(loadBoot(join(dir, "missing.json"))).rejects.toThrow(/cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 with a message naming the flag, and 0 with usage for --help", async () => {
    const bad = await run(["--port-file", "x.json", "--speed", "fast"]).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--speed");
    const help = await run(["--help"]).exited;
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--port-file FILE");
  });
});

describe("testbed standing mode, through the real clients", () => {
  let dir: string;
  let portFile: string;
  let proc: ReturnType<typeof run>;
  let d: PortFile;
  let startedBefore: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tornade-testbed-cli-"));
    portFile = join(dir, "testbed.json");
    startedBefore = Date.now();
    proc = run(["--port-file", portFile, "--boot", "published"]);
    d = JSON.parse(await waitForFile(portFile, proc.exited)) as PortFile;
  });

  afterAll(async () => {
    if (proc.child.exitCode === null) proc.child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("describes both simulators with exactly the documented members", async () => {
    expect(Object.keys(d).sort()).toEqual(["aws", "clock", "github"]);
    // The clock: real time here (no --speed), anchored when the test bed started.
    expect(Object.keys(d.clock).sort()).toEqual(["origin", "speed"]);
    expect(d.clock.speed).toBe(1);
    expect(d.clock.origin).toBeGreaterThanOrEqual(startedBefore);
    expect(d.clock.origin).toBeLessThanOrEqual(Date.now());
    expect(Object.keys(d.github).sort()).toEqual(["appId", "configUrl", "installationId", "owner", "privateKeyPath", "repo", "url", "webhookSecret"]);
    expect(Object.keys(d.aws).sort()).toEqual(["cluster", "codebuildProject", "endpoint", "region", "securityGroups", "subnets", "taskDefinitions"]);
    expect(Object.keys(d.aws.taskDefinitions).sort()).toEqual(["ARM64", "X86_64"]);
    expect(new URL(d.github.url).hostname).toBe("127.0.0.1");
    expect(d.github.configUrl).toBe(`${d.github.url}/${d.github.owner}`);
    expect(new URL(d.aws.endpoint).hostname).toBe("127.0.0.1");
    expect(d.github.privateKeyPath).toBe(join(dir, "testbed.github-app-key.pem"));
    // A private key must be readable by its owner only.
    expect((await stat(d.github.privateKeyPath ?? "")).mode & 0o777).toBe(0o600);
  });

  it("issues an installation token and a JIT runner config to @octokit/auth-app with the written key", async () => {
    const octokit = new Octokit({
      baseUrl: d.github.url,
      authStrategy: createAppAuth,
      auth: { appId: d.github.appId, privateKey: await readFile(d.github.privateKeyPath ?? "", "utf8"), installationId: d.github.installationId },
    });
    const res = await octokit.request("POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig", {
      owner: d.github.owner,
      repo: d.github.repo,
      name: "cli-test-runner",
      runner_group_id: 1,
      labels: ["self-hosted", "tornade"],
    });
    expect(res.status).toBe(201);
    expect(validateGitHubResponse("POST", "/repos/{owner}/{repo}/actions/runners/generate-jitconfig", res.status, res.data)).toEqual([]);
    // The encoded config is base64 of a JSON object, as the runner's --jitconfig expects.
    const decoded: unknown = JSON.parse(Buffer.from(res.data.encoded_jit_config, "base64").toString("utf8"));
    expect(typeof decoded).toBe("object");
    expect(res.data.runner.labels.map((l) => l.name)).toEqual(expect.arrayContaining(["self-hosted", "tornade"]));
  });

  it("runs a Fargate task for @aws-sdk/client-ecs on the described cluster and task definition", async () => {
    const ecs = new ECSClient({ endpoint: d.aws.endpoint, region: d.aws.region, credentials: { accessKeyId: "AKIDTESTBED", secretAccessKey: "testbed" } });
    try {
      const out = await ecs.send(
        new RunTaskCommand({
          cluster: d.aws.cluster,
          taskDefinition: d.aws.taskDefinitions.ARM64,
          capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
          networkConfiguration: { awsvpcConfiguration: { subnets: d.aws.subnets, securityGroups: d.aws.securityGroups, assignPublicIp: "ENABLED" } },
        }),
      );
      expect(out.failures ?? []).toEqual([]);
      expect(out.tasks).toHaveLength(1);
      expect(out.tasks?.[0]?.taskArn).toMatch(/^arn:aws:ecs:[a-z0-9-]+:\d{12}:task\//);
      expect(out.tasks?.[0]?.capacityProviderName).toBe("FARGATE_SPOT");
    } finally {
      ecs.destroy();
    }
  });

  it("boots launches by the --boot profile, as its control API and summary say", async () => {
    const model = (await (await fetch(`${d.aws.endpoint}/_control/boot-model`)).json()) as { profile: string; seed: number };
    expect(model).toMatchObject({ profile: "published", seed: 1 });
  });

  it("closes cleanly on SIGTERM, exiting 0 and removing its port and key files", async () => {
    proc.child.kill("SIGTERM");
    const { code, stderr } = await proc.exited;
    expect(code, stderr).toBe(0);
    expect(stderr).toContain("boot times published, seed 1");
    await expect(stat(portFile)).rejects.toThrow();
    await expect(stat(d.github.privateKeyPath ?? "")).rejects.toThrow();
  });
});
