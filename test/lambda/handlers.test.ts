import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DescribeTasksCommand, ECSClient } from "@aws-sdk/client-ecs";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { JIT_PARAMETER_ENV } from "../../src/core/runner-env.js";
import { eventsHandler } from "../../src/lambda/events.js";
import { sweepHandler } from "../../src/lambda/sweep.js";
import { wire, wireIntake, type LambdaServices } from "../../src/lambda/wiring.js";
import type { LaunchRecord } from "../../src/store/store.js";
import type { EventSourceMapping, FunctionUrl } from "./local-aws-lambda.js";
import { CREDENTIALS, deployFunctions, startWorld, until, type Deployed, type World } from "./world.js";

const SPEED = 100;
let w: World;
let s: LambdaServices;
let url: FunctionUrl;
let esm: EventSourceMapping;

let deployed: Deployed;

beforeAll(async () => {
  w = await startWorld(SPEED);
  // The webhook function is wired for intake only, from an environment without the App's private key.
  deployed = await deployFunctions(w);
  ({ s, url, esm } = deployed);
});
afterAll(async () => {
  await deployed?.stop();
  await w?.close();
});

const label = (...extra: string[]) => ["self-hosted", "tornade", ...extra];
const launchedLaunch = (jobId: number) =>
  until(`job ${jobId} launched`, async () => {
    const [l] = await s.built.store.listLaunches(jobId);
    return l && l.providerId !== null ? l : undefined;
  });

describe("Lambda handlers on DynamoDB + SQS against the test bed", () => {
  it("webhook (function URL) → SQS → worker launches exactly one runner per job, and every job completes", async () => {
    const run = w.bed.github.control.createRun({
      workflowName: "lambda",
      jobs: [
        { name: "spot", labels: label("runs-on=FARGATE_SPOT"), durationSeconds: 60 },
        { name: "arm", labels: label("runs-on=FARGATE", "arch=ARM64"), durationSeconds: 60 },
        { name: "docker", labels: label("runs-on=CODEBUILD"), durationSeconds: 60 },
      ],
    });
    const ids = run.jobs.map((j) => Number(j.id));
    await until("all three jobs completed on GitHub", () =>
      ids.every((id) => w.bed.github.control.getJob(id)?.status === "completed") ? true : undefined,
    );
    for (const id of ids) expect(await s.built.store.listLaunches(id)).toHaveLength(1);
    const calls = w.bed.aws.control.stats().calls;
    expect(calls["ecs.RunTask"]).toBe(2);
    expect(calls["codebuild.StartBuild"]).toBe(1);
    // queued, in_progress and completed for each job; the last may still be on its way when the status reads completed.
    const deliveries = await until("nine workflow_job deliveries", () => {
      const d = w.bed.github.control.listDeliveries().filter((x) => x.event === "workflow_job");
      return d.length >= 9 ? d : undefined;
    });
    expect(deliveries.every((d) => d.statusCode === 202)).toBe(true);
    expect(url.invocations).toBeGreaterThanOrEqual(deliveries.length);
    expect(esm.batches).toBeGreaterThan(0);
  });

  it("wires the webhook function with no GitHub credentials at all, but never without the webhook secret", async () => {
    const { SECRET_KEY_PEM: _key, APP_ID: _app, ...bare } = w.env;
    const opts = { clock: w.clock, logger: s.logger, awsCredentials: CREDENTIALS };
    const intake = await wireIntake(bare, opts);
    expect(await (await intake.app.request("/healthz")).json()).toEqual({ ok: true });
    await intake.close();
    // The worker functions launch runners: they refuse to start without the App's credentials.
    await expect(wire(bare, opts)).rejects.toThrow(/github credentials: none given/);
    const { TORNADE_WEBHOOK_SECRET: _secret, ...unsigned } = bare;
    await expect(wireIntake(unsigned, opts)).rejects.toThrow(/TORNADE_WEBHOOK_SECRET/);
  });

  it("wires the worker and sweep without a webhook secret, with webhooks on or scale sets the only intake: they verify no delivery", async () => {
    const { TORNADE_WEBHOOK_SECRET: _secret, ...unsigned } = w.env;
    const opts = { clock: w.clock, logger: s.logger, awsCredentials: CREDENTIALS };
    // The webhook intake is on (the world's default), and the webhook function holds the secret, not these.
    const withWebhooks = await wire(unsigned, opts);
    expect(withWebhooks.config.github.webhookSecret).toBeUndefined();
    expect(withWebhooks.config.github.appId).toBeDefined();
    await withWebhooks.close();
    const scaleSetsOnly = await wire(
      { ...unsigned, TORNADE_INTAKE: "scale-sets", TORNADE_SCALE_SETS: "linux=FARGATE:0-2", TORNADE_SCALE_SETS_OWNER: "acme", TORNADE_SCALE_SETS_REPO: "app", TORNADE_SCALE_SETS_INSTALLATION_ID: "1" },
      opts,
    );
    expect(scaleSetsOnly.config.github.webhookSecret).toBeUndefined();
    await scaleSetsOnly.close();
  });

  it("webhook refuses an unsigned request with 401 through the function URL, as tornade serve does", async () => {
    const res = await fetch(`${url.url}/events`, { method: "POST", headers: { "x-github-event": "ping" }, body: "{}" });
    expect(res.status).toBe(401);
    // Liveness only, as on tornade serve's public listener; and none of the operator's routes.
    expect(await fetch(`${url.url}/healthz`).then((r) => r.json())).toEqual({ ok: true });
    for (const path of ["/", "/api/state", "/metrics", "/setup"]) expect((await fetch(`${url.url}${path}`)).status).toBe(404);
  });

  it("sweep: the tracker round finds the runners the events never reported, and emits dead letters as an EMF metric", async () => {
    // No EventBridge events were sent above, so the launches still read launched/running while AWS has stopped them.
    await until("every task and build stopped on AWS", () => {
      const { control } = w.bed.aws;
      const running = control.listTasks().some((t) => t.lastStatus !== "STOPPED") || control.listBuilds().some((b) => b.buildStatus === "IN_PROGRESS");
      return running ? undefined : true;
    });
    const lines: string[] = [];
    const result = await sweepHandler(s, (l) => lines.push(l))();
    expect(result.launchesChanged).toBeGreaterThanOrEqual(1);
    // Every delivery reached the function URL, so the sweeper has nothing to redeliver.
    expect(result.redelivered).toBe(0);
    const emf = JSON.parse(lines[0]!) as { _aws: { CloudWatchMetrics: { Namespace: string }[] }; DeadLetters: number };
    expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe("Tornade");
    expect(emf.DeadLetters).toBe(0);
    expect(await s.built.store.listLaunchesByState(["launched", "running"])).toEqual([]);
  });

  it("events: ECS Task State Change and CodeBuild Build State Change update the launch and ask for a look", async () => {
    const run = w.bed.github.control.createRun({
      workflowName: "events",
      jobs: [
        { name: "long", labels: label("runs-on=FARGATE"), durationSeconds: 3600 },
        { name: "build", labels: label("runs-on=CODEBUILD"), durationSeconds: 3600 },
      ],
    });
    const [ecsJob, buildJob] = run.jobs.map((j) => Number(j.id)) as [number, number];
    const task: LaunchRecord = await launchedLaunch(ecsJob);
    const build: LaunchRecord = await launchedLaunch(buildJob);
    // The events function is wired from an environment with no secret and no GitHub credential (infra/ gives it none).
    const events = eventsHandler(await w.eventsServices());

    // Shaped as the example in "Amazon ECS task state change events" (ECS Developer Guide).
    const ecsEvent = (lastStatus: string, extra: Record<string, unknown> = {}) => ({
      version: "0",
      id: "3317b2af-7005-47ee-b3fa-3e4c6c1d8bd8",
      "detail-type": "ECS Task State Change",
      source: "aws.ecs",
      account: "111122223333",
      time: new Date(w.clock.now()).toISOString(),
      region: "us-east-1",
      resources: [task.providerId],
      detail: {
        clusterArn: "arn:aws:ecs:us-east-1:111122223333:cluster/tornade",
        containers: [{ containerArn: "arn:aws:ecs:us-east-1:111122223333:container/1", lastStatus, name: "runner", taskArn: task.providerId, ...extra }],
        createdAt: new Date(w.clock.now() - 5000).toISOString(),
        desiredStatus: lastStatus === "STOPPED" ? "STOPPED" : "RUNNING",
        group: "family:tornade-runner",
        launchType: "FARGATE",
        lastStatus,
        startedAt: new Date(w.clock.now() - 2000).toISOString(),
        taskArn: task.providerId,
        taskDefinitionArn: "arn:aws:ecs:us-east-1:111122223333:task-definition/tornade-runner:1",
        version: 3,
        ...(lastStatus === "STOPPED" ? { stoppedAt: new Date(w.clock.now()).toISOString(), stopCode: "EssentialContainerExited", stoppedReason: "Essential container in task exited" } : {}),
      },
    });
    expect(await events(ecsEvent("RUNNING"))).toEqual({ outcome: "updated", jobId: ecsJob });
    expect((await s.built.store.getLaunch(task.id))?.state).toBe("running");
    expect(await events(ecsEvent("RUNNING"))).toEqual({ outcome: "unchanged", jobId: ecsJob });
    expect(await events(ecsEvent("STOPPED", { exitCode: 0 }))).toEqual({ outcome: "updated", jobId: ecsJob });
    expect(await s.built.store.getLaunch(task.id)).toMatchObject({ state: "stopped", error: null });

    // Shaped as "Build notifications input format reference" (CodeBuild User Guide): build-id is the build's ARN.
    const buildEvent = (status: string) => ({
      version: "0",
      id: "bfdc1220-60ff-44bb-9b18-ab5fe8b89d6e",
      "detail-type": "CodeBuild Build State Change",
      source: "aws.codebuild",
      account: "123456789012",
      time: new Date(w.clock.now()).toISOString(),
      region: "us-east-1",
      resources: [`arn:aws:codebuild:us-east-1:123456789012:build/${build.providerId}`],
      detail: {
        "build-status": status,
        "project-name": "tornade-runner",
        "build-id": `arn:aws:codebuild:us-east-1:123456789012:build/${build.providerId}`,
        "additional-information": { "build-complete": status !== "IN_PROGRESS", initiator: "tornade", "timeout-in-minutes": 60 },
        "current-phase": status === "IN_PROGRESS" ? "BUILD" : "COMPLETED",
        "current-phase-context": "[]",
        version: "1",
      },
    });
    expect(await events(buildEvent("IN_PROGRESS"))).toEqual({ outcome: "updated", jobId: buildJob });
    expect((await s.built.store.getLaunch(build.id))?.state).toBe("running");
    expect(await events(buildEvent("FAILED"))).toEqual({ outcome: "updated", jobId: buildJob });
    expect(await s.built.store.getLaunch(build.id)).toMatchObject({ state: "stopped", error: null, outcome: { kind: "runner-failed" } });

    const stranger = { ...ecsEvent("RUNNING"), detail: { ...ecsEvent("RUNNING").detail, taskArn: "arn:aws:ecs:us-east-1:111122223333:task/other/1" } };
    expect(await events(stranger)).toEqual({ outcome: "not-ours" });
    expect(await events({ "detail-type": "EC2 Instance State-change Notification", source: "aws.ec2", detail: {} })).toEqual({ outcome: "ignored" });
  });

  it("events: a runner reported stopped before it read its JIT config has its parameter deleted, as the tracker's describe would", async () => {
    const aws = { region: w.env["TORNADE_AWS_REGION"] ?? "us-east-1", endpoint: w.env["TORNADE_AWS_ENDPOINT"] ?? "", credentials: CREDENTIALS };
    const parameters = () => w.bed.aws.control.listParameters().map((p) => p.name);
    // The task stays PROVISIONING for an hour: its runner has not read its config when ECS reports it stopped.
    w.bed.aws.control.slowProvisioning({ times: 1, extraMs: 3600_000 });
    // Labels of their own: no runner of another test's identical job can take these jobs, or be handed to them.
    const run = w.bed.github.control.createRun({ workflowName: "unread", jobs: [{ name: "never-starts", labels: label("runs-on=FARGATE", "unread-task"), durationSeconds: 60 }] });
    const launch = await launchedLaunch(Number(run.jobs[0]?.id));
    const task = (await new ECSClient(aws).send(new DescribeTasksCommand({ cluster: w.env["TORNADE_ECS_CLUSTER"], tasks: [launch.providerId ?? ""] }))).tasks?.[0];
    const parameter = task?.overrides?.containerOverrides?.[0]?.environment?.find((e) => e.name === JIT_PARAMETER_ENV)?.value ?? "";
    expect(parameters()).toContain(parameter);
    const events = eventsHandler(await w.eventsServices());
    // The task as ECS's event carries it (DescribeTasks' shape, times as ISO strings), stopped before it started.
    const detail = { ...(JSON.parse(JSON.stringify(task)) as Record<string, unknown>), lastStatus: "STOPPED", desiredStatus: "STOPPED", stopCode: "TaskFailedToStart", stoppedReason: "CannotPullContainerError" };
    const stopped = { version: "0", "detail-type": "ECS Task State Change", source: "aws.ecs", time: new Date(w.clock.now()).toISOString(), detail };
    expect(await events(stopped)).toMatchObject({ outcome: "updated" });
    expect(parameters()).not.toContain(parameter);

    // A build that failed before CodeBuild resolved its config: the event lists the build's environment variables.
    const build = await launchedLaunch(Number(w.bed.github.control.createRun({ workflowName: "unread", jobs: [{ name: "build", labels: label("runs-on=CODEBUILD", "unread-build"), durationSeconds: 60 }] }).jobs[0]?.id));
    const stand = `${parameter}-build`;
    await new SSMClient(aws).send(new PutParameterCommand({ Name: stand, Value: "a config nobody read", Type: "SecureString" }));
    expect(parameters()).toContain(stand);
    const buildArn = `arn:aws:codebuild:us-east-1:123456789012:build/${build.providerId}`;
    const failed = {
      version: "0",
      "detail-type": "CodeBuild Build State Change",
      source: "aws.codebuild",
      time: new Date(w.clock.now()).toISOString(),
      detail: {
        "build-status": "FAILED",
        "build-id": buildArn,
        "current-phase": "COMPLETED",
        "additional-information": { "build-complete": true, environment: { "environment-variables": [{ name: JIT_PARAMETER_ENV, type: "PLAINTEXT", value: stand }] } },
      },
    };
    expect(await events(failed)).toMatchObject({ outcome: "updated" });
    expect(parameters()).not.toContain(stand);
  });

  it("worker reports a record that is not due yet in batchItemFailures, so Lambda keeps it", async () => {
    // A look due in a week: SQS delays at most 15 minutes, so a message that arrives early is hidden again.
    const key = "job:424242";
    await s.queue.enqueue({ key, kind: "reconcile", payload: { jobId: 424242 }, delayMs: 7 * 24 * 3600_000 * SPEED });
    const before = esm.failures;
    await w.sqs.client.send(new SendMessageCommand({ QueueUrl: w.queueUrl, MessageBody: JSON.stringify({ key, at: Number.MAX_SAFE_INTEGER }) }));
    await until("the early record reported failed", () => (esm.failures > before ? true : undefined));
    // Still waiting for its time, not dead (other jobs' looks may be queued too, so only this key is asserted).
    expect((await s.queue.deadLetters()).map((d) => d.key)).not.toContain(key);
    expect((await s.queue.depth()).pending).toBeGreaterThanOrEqual(1);
  });
});
