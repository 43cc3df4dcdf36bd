import { ECSClient, ListTasksCommand, RunTaskCommand, ServerException } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../src/clock/clock.js";
import { validateInput } from "./model.js";
import { startBed, type Bed } from "./test-helpers.js";

/** Raw AWS JSON 1.1 requests, as a client that skipped the SDK would send them. */
async function raw(bed: Bed, target: string, body: unknown, auth = true) {
  const headers: Record<string, string> = { "content-type": "application/x-amz-json-1.1", "x-amz-target": target };
  if (auth) headers.authorization = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcdef0123";
  const res = await fetch(bed.sim.endpoint, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, type: res.headers.get("x-amzn-errortype"), body: (await res.json()) as { __type?: string; message?: string } };
}

describe("AWS JSON 1.1 protocol, auth and model validation", () => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await startBed({ speed: 600 });
  });
  afterAll(async () => {
    await bed.sim.close();
  });
  const ecsTarget = (op: string) => `AmazonEC2ContainerServiceV20141113.${op}`;

  it("refuses requests without a SigV4 Authorization header", async () => {
    const r = await raw(bed, ecsTarget("ListTasks"), { cluster: "tornade" }, false);
    expect(r.status).toBe(400);
    expect(r.body.__type).toBe("MissingAuthenticationTokenException");
  });

  it("answers model violations in AWS's error shape: unknown member, wrong type, missing required", async () => {
    const unknown = await raw(bed, ecsTarget("ListTasks"), { cluster: "tornade", colour: "blue" });
    expect([unknown.status, unknown.body.__type, unknown.type]).toEqual([400, "InvalidParameterException", "InvalidParameterException:"]);
    expect(unknown.body.message).toContain("colour");
    const wrongType = await raw(bed, ecsTarget("ListTasks"), { cluster: "tornade", maxResults: "ten" });
    expect(wrongType.body.__type).toBe("SerializationException");
    const missing = await raw(bed, ecsTarget("RunTask"), { cluster: "tornade" });
    expect(missing.body.__type).toBe("InvalidParameterException");
    expect(missing.body.message).toContain("taskDefinition");
    const badEnum = await raw(bed, ecsTarget("RunTask"), { taskDefinition: "x", launchType: "MAINFRAME" });
    expect(badEnum.body.message).toContain("MAINFRAME");
    expect(bed.requests.filter((r) => r.errors.length).length).toBeGreaterThanOrEqual(4);
  });

  it("the validator checks nested structures, lists and maps", () => {
    const issues = validateInput("ecs", "RunTask", {
      taskDefinition: "td",
      overrides: { containerOverrides: [{ name: "runner", environment: [{ name: 1 }] }] },
      tags: "no",
    });
    expect(issues.map((i) => i.path).sort()).toEqual(["overrides.containerOverrides[0].environment[0].name", "tags"]);
    expect(validateInput("codebuild", "StartBuild", { projectName: "p", environmentVariablesOverride: [{ name: "A" }] })[0]?.kind).toBe("required");
  });

  it("injects errors on chosen operations; the SDK raises the typed exception", async () => {
    bed.sim.control.failNext({ service: "ecs", operation: "ListTasks", error: "ServerException", times: 1 });
    const err = await bed.ecs().send(new ListTasksCommand({ cluster: "tornade" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerException);
    expect((err as ServerException).$metadata.httpStatusCode).toBe(500);
    const ok = await bed.ecs().send(new ListTasksCommand({ cluster: "tornade" }));
    expect(ok.taskArns).toBeDefined();
    bed.sim.control.failNext({ service: "ecs", operation: "ListTasks", error: "ThrottlingException", times: 1 });
    const t = await bed.ecs().send(new ListTasksCommand({ cluster: "tornade" })).catch((e: unknown) => e as Error);
    expect((t as Error).name).toBe("ThrottlingException");
  });

  it("serves the control API over HTTP", async () => {
    const res = await fetch(`${bed.sim.endpoint}/_control/capacity-shortage`, { method: "POST", body: JSON.stringify({ capacityProvider: "FARGATE", times: 1 }) });
    expect(res.status).toBe(200);
    const state = (await (await fetch(`${bed.sim.endpoint}/_control/state`)).json()) as { shortages: unknown[] };
    expect(state.shortages).toEqual([{ capacityProvider: "FARGATE", remaining: 1 }]);
    const bad = await fetch(`${bed.sim.endpoint}/_control/fail-next`, { method: "POST", body: JSON.stringify({ service: "s3" }) });
    expect(bad.status).toBe(400);
    const slow = { method: "POST", body: JSON.stringify({ times: 1, extraMs: 0 }) };
    expect((await fetch(`${bed.sim.endpoint}/_control/slow-provisioning`, slow)).status).toBe(200);
    const negative = { method: "POST", body: JSON.stringify({ times: 1, extraMs: -5 }) };
    expect((await fetch(`${bed.sim.endpoint}/_control/slow-provisioning`, negative)).status).toBe(400);
  });
});

describe("Fargate quotas (real-time clock, fresh buckets)", () => {
  let bed: Bed;
  beforeAll(async () => {
    // Real time so the buckets do not refill between calls of the burst.
    bed = await startBed({ clock: scaledClock(1) });
  });
  afterAll(async () => {
    await bed.sim.close();
  });
  const run = (ecs: ECSClient, count: number) =>
    ecs
      .send(
        new RunTaskCommand({
          cluster: bed.sim.cluster,
          taskDefinition: bed.sim.taskDefinitions.X86_64,
          launchType: "FARGATE",
          count,
          networkConfiguration: { awsvpcConfiguration: { subnets: bed.sim.subnets } },
        }),
      )
      .then(
        () => "ok",
        (e: Error) => e.name,
      );

  it("throttles a burst of 150 RunTask calls beyond the 20-call bucket with ThrottlingException", async () => {
    bed.sim.control.resetQuotas();
    const ecs = bed.ecs(1);
    const started = bed.clock.now();
    const results = await Promise.all(Array.from({ length: 150 }, () => run(ecs, 1)));
    const burstSeconds = (bed.clock.now() - started) / 1000;
    const ok = results.filter((r) => r === "ok").length;
    expect(ok).toBeGreaterThanOrEqual(20);
    // The bucket of 20 plus its refill of 20 a second while the burst lasted (longer on a loaded machine), and fewer
    // than the 150 asked: the rest were refused.
    expect(ok).toBeLessThanOrEqual(20 + Math.ceil(20 * burstSeconds));
    expect(ok).toBeLessThan(150);
    expect(new Set(results.filter((r) => r !== "ok"))).toEqual(new Set(["ThrottlingException"]));
  });

  it("throttles Fargate launches beyond the bucket of 100 tasks", async () => {
    bed.sim.control.resetQuotas();
    const ecs = bed.ecs(1);
    const results: string[] = [];
    for (let i = 0; i < 12; i++) results.push(await run(ecs, 10)); // 10 tasks per call: the 11th call finds the bucket empty
    expect(results.slice(0, 10)).toEqual(Array(10).fill("ok"));
    expect(results.slice(10)).toContain("ThrottlingException");
  });
});
