/**
 * Runner credentials no one else can read (issue 11, point 4; docs/security.md "Runner credentials"): tornade, as an
 * operator configures it, runs jobs on Fargate, Fargate Spot and CodeBuild while a ReadOnlyAccess principal reads
 * DescribeTasks and BatchGetBuilds through the AWS SDK the whole time the runners boot. No piece of any JIT config
 * GitHub handed out may appear in those answers, nor in what tornade sent ECS and CodeBuild; the one-time parameter
 * whose name the reader does see cannot be decrypted by it; and nothing is left in Parameter Store afterwards.
 */
import { BatchGetBuildsCommand, CodeBuildClient } from "@aws-sdk/client-codebuild";
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from "@aws-sdk/client-ecs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JIT_CONFIG_ENV, JIT_PARAMETER_ENV } from "../../src/core/runner-env.js";
import { startBedTornade, type BedTornade } from "../support/bed-tornade.js";
import { leakedFragment } from "../support/secret-fragments.js";
import { until } from "./helpers.js";

const SPEED = 100;
const jitConfigs: string[] = [];
/** What tornade sent ECS and CodeBuild (the request parameters CloudTrail records). */
const launchRequests: string[] = [];
let t: BedTornade;

beforeAll(async () => {
  t = await startBedTornade({
    speed: SPEED,
    onGitHubResponse: (r) => {
      const body = r.body as Record<string, unknown> | null;
      if (r.route.endsWith("generate-jitconfig") && body && typeof body["encoded_jit_config"] === "string") jitConfigs.push(body["encoded_jit_config"]);
    },
    aws: {
      onRequest: (r) => void (r.service !== "ssm" && launchRequests.push(JSON.stringify(r.body))),
      // Slow boots, so the reader has long to look: CodeBuild provisions for two simulated minutes.
      boot: { codebuild: { provisioning: { p50Ms: 120_000, p95Ms: 120_000 } } },
    },
  });
});
afterAll(async () => {
  await t?.close();
});

describe("runner credentials", () => {
  it("never show in DescribeTasks, BatchGetBuilds or launch requests, and the reader cannot decrypt the parameter", async () => {
    const aws = t.bed.aws;
    const reader = { endpoint: aws.endpoint, region: aws.region, credentials: aws.readerCredentials, maxAttempts: 1 };
    const ecs = new ECSClient(reader);
    const codebuild = new CodeBuildClient(reader);
    const ssm = new SSMClient(reader);
    // Fargate tasks too sit in PROVISIONING for two more simulated minutes.
    aws.control.slowProvisioning({ times: 4, extraMs: 120_000 });
    const labels = (backend: string, arch = "X86_64") => ["self-hosted", "tornade", "creds", `runs-on=${backend}`, `arch=${arch}`];
    const run = t.bed.github.control.createRun({
      workflowName: "credentials",
      jobs: [
        { name: "fargate", labels: labels("FARGATE"), durationSeconds: 120 },
        { name: "fargate-arm", labels: labels("FARGATE", "ARM64"), durationSeconds: 120 },
        { name: "spot", labels: labels("FARGATE_SPOT"), durationSeconds: 120 },
        { name: "codebuild", labels: labels("CODEBUILD"), durationSeconds: 120 },
        { name: "codebuild-arm", labels: labels("CODEBUILD", "ARM64"), durationSeconds: 120 },
      ],
    });
    const jobIds = run.jobs.map((j) => Number(j.id));
    const done = () => jobIds.every((id) => t.bed.github.control.getJob(id)?.status === "completed");

    const answers: string[] = [];
    const taskStates = new Set<string>();
    const buildPhases = new Set<string>();
    const decryptRefusals = new Set<string>();
    let readerReads = 0;
    while (!done()) {
      const arns = [
        ...((await ecs.send(new ListTasksCommand({ cluster: aws.cluster, desiredStatus: "RUNNING" }))).taskArns ?? []),
        ...((await ecs.send(new ListTasksCommand({ cluster: aws.cluster, desiredStatus: "STOPPED" }))).taskArns ?? []),
      ];
      if (arns.length) {
        const described = await ecs.send(new DescribeTasksCommand({ cluster: aws.cluster, tasks: arns.slice(0, 100) }));
        answers.push(JSON.stringify(described));
        for (const task of described.tasks ?? []) {
          taskStates.add(task.lastStatus ?? "?");
          const parameter = task.overrides?.containerOverrides?.[0]?.environment?.find((e) => e.name === JIT_PARAMETER_ENV)?.value;
          // A reader who learns the name still cannot decrypt: the key's policy names only the runner role.
          if (parameter && task.lastStatus !== "STOPPED" && !decryptRefusals.has(parameter)) {
            readerReads++;
            const err = await ssm.send(new GetParameterCommand({ Name: parameter, WithDecryption: true })).then(() => undefined, (e: Error) => e);
            if (err?.name === "AccessDeniedException") decryptRefusals.add(parameter);
            else if (err?.name !== "ParameterNotFound") throw new Error(`the reader read ${parameter}: ${String(err)}`);
          }
        }
      }
      const ids = aws.control.listBuilds().map((b) => b.id);
      if (ids.length) {
        const builds = await codebuild.send(new BatchGetBuildsCommand({ ids }));
        answers.push(JSON.stringify(builds));
        for (const b of builds.builds ?? []) buildPhases.add(b.currentPhase ?? "?");
      }
      await new Promise((r) => setTimeout(r, 20));
    }

    // The reader did look while runners booted, on both backends.
    expect([...taskStates]).toEqual(expect.arrayContaining(["PROVISIONING", "RUNNING"]));
    expect([...buildPhases]).toEqual(expect.arrayContaining(["PROVISIONING", "BUILD"]));
    expect(decryptRefusals.size).toBeGreaterThan(0);
    // Every job ran, on its own runner, whose config reached it only through the handoff.
    expect(jobIds.map((id) => t.bed.github.control.getJob(id)?.conclusion)).toEqual(Array(5).fill("success"));
    expect(jitConfigs.length).toBeGreaterThanOrEqual(5);
    const seen = answers.join("\n");
    const sent = launchRequests.join("\n");
    for (const config of jitConfigs) {
      expect(leakedFragment(seen, config)).toBeUndefined();
      expect(leakedFragment(sent, config)).toBeUndefined();
    }
    expect(seen).not.toContain(`"${JIT_CONFIG_ENV}","value":"ey`);

    // Nothing is left behind: each runner deleted its parameter once it had read it.
    await until("every runner to stop", () => (aws.control.listTasks().every((x) => x.lastStatus === "STOPPED") && aws.control.listBuilds().every((b) => b.buildStatus !== "IN_PROGRESS") ? true : undefined), 30_000);
    expect(aws.control.listParameters().filter((p) => p.name.startsWith(aws.jitParameterPrefix))).toEqual([]);
    const calls = aws.control.stats().calls;
    expect(calls["ssm.PutParameter"]).toBe(5);
    // Fargate runners read their parameter; CodeBuild resolves it for its builds. Every runner deletes its own.
    expect(calls["ssm.GetParameter"]).toBe(3 + readerReads);
    expect(calls["ssm.GetParameters"]).toBe(2);
    expect(calls["ssm.DeleteParameter"]).toBe(5);
  });
});
