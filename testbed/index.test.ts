import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchGetBuildsCommand, CodeBuildClient, StartBuildCommand } from "@aws-sdk/client-codebuild";
import { DescribeTasksCommand, ECSClient, RunTaskCommand } from "@aws-sdk/client-ecs";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";
import { verify } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../src/clock/clock.js";
import { JIT_CONFIG_ENV } from "../src/core/runner-env.js";
import { validateInput, validateOutput, type RequestRecord, type ResponseRecord } from "./aws/index.js";
import type { SimResponseInfo } from "./github/index.js";
import { until } from "./until.js";
import { startTestBed, type TestBed } from "./index.js";
import { validateGitHubResponse, validateWebhookPayload } from "./spec/github-openapi.js";
import { validateScaleSetResponse } from "./spec/scaleset-types.js";
import { acquire, admin, connect, createScaleSet, listen, openSession, STEADY } from "./github/scaleset/test-support.js";

interface Delivery {
  event: string;
  guid: string;
  payload: Record<string, unknown>;
}


describe("the test bed, one job end to end through the real clients", () => {
  // 600× — a 5-minute job takes half a real second.
  const clock = scaledClock(600);
  const SECRET = "it's a secret to everybody";
  const deliveries: Delivery[] = [];
  const badSignatures: string[] = [];
  const responses: SimResponseInfo[] = [];
  const scaleSetResponses: SimResponseInfo[] = [];
  const runnerLog: string[] = [];
  const awsRequests: RequestRecord[] = [];
  const awsResponses: ResponseRecord[] = [];
  let receiver: Server;
  let bed: TestBed;

  beforeAll(async () => {
    // The webhook receiver tornade would be: checks X-Hub-Signature-256 over the raw body before trusting it.
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const sig = String(req.headers["x-hub-signature-256"] ?? "");
        void verify(SECRET, raw, sig).then((ok) => {
          if (!ok) badSignatures.push(String(req.headers["x-github-delivery"]));
          else {
            deliveries.push({
              event: String(req.headers["x-github-event"]),
              guid: String(req.headers["x-github-delivery"]),
              payload: JSON.parse(raw) as Record<string, unknown>,
            });
          }
          res.writeHead(ok ? 202 : 401).end();
        });
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    const { port } = receiver.address() as AddressInfo;
    bed = await startTestBed({
      clock,
      webhookUrl: `http://127.0.0.1:${port}/events`,
      runnerLog: (line) => runnerLog.push(line),
      github: { webhookSecret: SECRET, onResponse: (r) => responses.push(r), scaleSets: STEADY, onScaleSetResponse: (r) => scaleSetResponses.push(r) },
      aws: { onRequest: (r) => awsRequests.push(r), onResponse: (r) => awsResponses.push(r) },
    });
    expect(bed.description().github.webhookSecret).toBe(SECRET);
  });

  afterAll(async () => {
    await bed?.close();
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  });

  it("runs a queued job on a JIT runner inside a Fargate task: job completed, task STOPPED with exit 0", async () => {
    const d = bed.description();
    const labels = ["self-hosted", "tornade", "arch=ARM64"];
    const run = bed.github.control.createRun({ jobs: [{ name: "build", labels, durationSeconds: 300 }] });
    const jobId = Number(run.jobs[0]?.id);
    expect(Number.isSafeInteger(jobId)).toBe(true);

    const queued = await until("the queued webhook", () =>
      deliveries.find((x) => x.event === "workflow_job" && x.payload.action === "queued"),
    );
    expect((queued.payload.workflow_job as { id: number; labels: string[] }).labels).toEqual(labels);

    const octokit = new Octokit({
      baseUrl: d.github.url,
      authStrategy: createAppAuth,
      auth: { appId: d.github.appId, privateKey: bed.github.privateKeyPem, installationId: d.github.installationId },
    });
    const jit = await octokit.request("POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig", {
      owner: d.github.owner,
      repo: d.github.repo,
      name: `tornade-${jobId}-1`,
      runner_group_id: 1,
      labels,
    });

    const ecs = new ECSClient({ endpoint: d.aws.endpoint, region: d.aws.region, credentials: { accessKeyId: "AKIDTESTBED", secretAccessKey: "testbed" } });
    try {
      const started = await ecs.send(
        new RunTaskCommand({
          cluster: d.aws.cluster,
          taskDefinition: d.aws.taskDefinitions.ARM64,
          capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }],
          networkConfiguration: { awsvpcConfiguration: { subnets: d.aws.subnets, securityGroups: d.aws.securityGroups } },
          overrides: { containerOverrides: [{ name: "runner", environment: [{ name: JIT_CONFIG_ENV, value: jit.data.encoded_jit_config }] }] },
          clientToken: `job-${jobId}-1`,
        }),
      );
      const taskArn = started.tasks?.[0]?.taskArn;
      expect(taskArn).toBeDefined();

      const completed = await until("the completed webhook", () =>
        deliveries.find((x) => x.event === "workflow_job" && x.payload.action === "completed"),
      );
      const job = completed.payload.workflow_job as { id: number; conclusion: string; runner_name: string };
      expect(job).toMatchObject({ id: jobId, conclusion: "success", runner_name: `tornade-${jobId}-1` });

      const task = await until("the task to stop", async () => {
        const out = await ecs.send(new DescribeTasksCommand({ cluster: d.aws.cluster, tasks: [taskArn ?? ""] }));
        const t = out.tasks?.[0];
        return t?.lastStatus === "STOPPED" ? t : undefined;
      });
      expect(task.stopCode).toBe("EssentialContainerExited");
      expect(runnerLog.join("\n")).toContain(`tornade-${jobId}-1`);
      expect(task.containers?.[0]?.exitCode).toBe(0);
    } finally {
      ecs.destroy();
    }

    // The job went queued → in_progress → completed, each announced once.
    const actions = deliveries.filter((x) => x.event === "workflow_job").map((x) => x.payload.action);
    expect(actions).toEqual(["queued", "in_progress", "completed"]);
    expect(bed.github.control.getJob(jobId)?.status).toBe("completed");
  });

  it("runs a job on a JIT runner inside a CodeBuild build, which SUCCEEDS when the job does", async () => {
    const d = bed.description();
    const labels = ["self-hosted", "tornade", "runs-on=CODEBUILD", "arch=ARM64"];
    const run = bed.github.control.createRun({ jobs: [{ name: "docker", labels, durationSeconds: 120 }] });
    const jobId = Number(run.jobs[0]?.id);
    const octokit = new Octokit({
      baseUrl: d.github.url,
      authStrategy: createAppAuth,
      auth: { appId: d.github.appId, privateKey: bed.github.privateKeyPem, installationId: d.github.installationId },
    });
    const jit = await octokit.request("POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig", {
      owner: d.github.owner,
      repo: d.github.repo,
      name: `tornade-${jobId}-1`,
      runner_group_id: 1,
      labels,
    });
    const cb = new CodeBuildClient({ endpoint: d.aws.endpoint, region: d.aws.region, credentials: { accessKeyId: "AKIDTESTBED", secretAccessKey: "testbed" } });
    try {
      const started = await cb.send(
        new StartBuildCommand({
          projectName: d.aws.codebuildProject,
          environmentTypeOverride: "ARM_CONTAINER",
          computeTypeOverride: "BUILD_GENERAL1_SMALL",
          environmentVariablesOverride: [{ name: JIT_CONFIG_ENV, value: jit.data.encoded_jit_config, type: "PLAINTEXT" }],
          idempotencyToken: `job-${jobId}-1`,
        }),
      );
      const buildId = started.build?.id ?? "";
      const build = await until("the build to finish", async () => {
        const b = (await cb.send(new BatchGetBuildsCommand({ ids: [buildId] }))).builds?.[0];
        return b?.buildComplete ? b : undefined;
      });
      expect(build.buildStatus).toBe("SUCCEEDED");
      expect(bed.github.control.getJob(jobId)).toMatchObject({ status: "completed", conclusion: "success", runner_name: `tornade-${jobId}-1` });
    } finally {
      cb.destroy();
    }
  });

  it("runs a scale set's job on a runner from the scale set's JIT config inside a Fargate task", async () => {
    const d = bed.description();
    const c = await connect(bed.github);
    const set = await createScaleSet(c, "fargate-set");
    const session = await openSession(c, set.id);
    const run = bed.github.control.createRun({ jobs: [{ name: "on-scale-set", labels: ["fargate-set"], durationSeconds: 180 }] });
    const [offer] = await listen(session, (seen) => seen.length === 1);
    expect((await acquire(c, session, set.id, [Number(offer?.runnerRequestId)])).status).toBe(200);
    const jit = await admin(c, "POST", `_apis/runtime/runnerscalesets/${set.id}/generatejitconfig`, { name: "fargate-set-runner-1", workFolder: "_work" });
    const ecs = new ECSClient({ endpoint: d.aws.endpoint, region: d.aws.region, credentials: { accessKeyId: "AKIDTESTBED", secretAccessKey: "testbed" } });
    try {
      const config = (jit.json as { encodedJITConfig: string }).encodedJITConfig;
      await ecs.send(
        new RunTaskCommand({
          cluster: d.aws.cluster,
          taskDefinition: d.aws.taskDefinitions.X86_64,
          capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
          networkConfiguration: { awsvpcConfiguration: { subnets: d.aws.subnets, securityGroups: d.aws.securityGroups } },
          overrides: { containerOverrides: [{ name: "runner", environment: [{ name: JIT_CONFIG_ENV, value: config }] }] },
        }),
      );
      const seen = await listen(session, (m) => m.some((x) => x.messageType === "JobCompleted"));
      expect(seen.map((m) => m.messageType)).toEqual(["JobAssigned", "JobStarted", "JobCompleted"]);
      expect(seen[2]).toMatchObject({ result: "succeeded", runnerName: "fargate-set-runner-1" });
      expect(bed.github.control.getJob(Number(run.jobs[0]?.id))).toMatchObject({ status: "completed", conclusion: "success", runner_name: "fargate-set-runner-1" });
    } finally {
      ecs.destroy();
    }
  });

  it("sent only signed webhooks whose payloads match GitHub's published schemas", async () => {
    await bed.github.control.deliveriesIdle();
    expect(badSignatures).toEqual([]);
    expect(deliveries.map((x) => x.event)).toContain("ping");
    expect(new Set(deliveries.map((x) => x.guid)).size).toBe(deliveries.length);
    const problems = deliveries.flatMap((x) => validateWebhookPayload(x.event, x.payload));
    expect(problems).toEqual([]);
  });

  it("answered every REST call with a body GitHub's OpenAPI description allows for that status", () => {
    const routes = new Set(responses.map((r) => `${r.method} ${r.route} ${r.status}`));
    expect(routes).toContain("POST /app/installations/{installation_id}/access_tokens 201");
    expect(routes).toContain("POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig 201");
    const problems = responses.flatMap((r) => validateGitHubResponse(r.method, r.route, r.status, r.body));
    expect(problems).toEqual([]);
  });

  it("answered every scale set call with a body the scale set client's types allow", () => {
    expect(new Set(scaleSetResponses.map((r) => `${r.method} ${r.route} ${r.status}`))).toContain("POST /_apis/runtime/runnerscalesets/{scaleSetId}/acquirejobs 200");
    expect(scaleSetResponses.flatMap((r) => validateScaleSetResponse(r.method, r.route, r.status, r.body))).toEqual([]);
  });

  it("sent AWS only requests its model allows, and answered with bodies its model allows", () => {
    const ops = new Set(awsRequests.map((r) => `${r.service}.${r.operation}`));
    expect(ops).toEqual(new Set(["ecs.RunTask", "ecs.DescribeTasks", "codebuild.StartBuild", "codebuild.BatchGetBuilds"]));
    const problems = [
      ...awsRequests.flatMap((r) => validateInput(r.service, r.operation, r.body).map((i) => `${r.operation} request ${i.path}: ${i.message}`)),
      ...awsResponses.flatMap((r) => validateOutput(r.service, r.operation, r.body).map((i) => `${r.operation} answer ${i.path}: ${i.message}`)),
    ];
    expect(problems).toEqual([]);
    expect(awsResponses.length).toBeGreaterThanOrEqual(4);
  });

  it("describes itself and writes the App key with owner-only permissions", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tornade-testbed-"));
    try {
      expect(bed.description().github.privateKeyPath).toBeNull();
      const path = await bed.writePrivateKey(dir);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await readFile(path, "utf8")).toBe(bed.github.privateKeyPem);
      expect(bed.description().github.privateKeyPath).toBe(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
