import { DescribeTasksCommand, ECSClient } from "@aws-sdk/client-ecs";
import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  HierarchyLevelLimitExceededException,
  InvalidKeyId,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  ValidationException,
  type PutParameterCommandInput,
} from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock, type Clock } from "../../src/clock/clock.js";
import { DEFAULT_JIT_KMS_KEY } from "../../src/core/runner-env.js";
import { validateInput } from "./model.js";
import { startBed, type Bed } from "./test-helpers.js";

/** A clock that moves only when told: throttling and expiry without timing. */
function manualClock(): Clock & { advance(ms: number): void } {
  let t = Date.parse("2026-12-01T00:00:00Z");
  const base = scaledClock(1);
  return { ...base, now: () => t, advance: (ms) => void (t += ms) };
}

const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } });

describe("SSM Parameter Store simulator through @aws-sdk/client-ssm", () => {
  let bed: Bed;
  const clock = manualClock();
  const prefix = "/tornade/jit/";
  beforeAll(async () => {
    bed = await startBed({ clock });
  });
  afterAll(async () => {
    await bed.sim.close();
  });
  const put = (over: Partial<PutParameterCommandInput> & { Name: string }) =>
    bed.ssm().send(new PutParameterCommand({ Value: "v", Type: "SecureString", KeyId: DEFAULT_JIT_KMS_KEY, Tier: "Advanced", ...over }));
  const runner = () => bed.ssm(bed.sim.runnerCredentials);
  const reader = () => bed.ssm(bed.sim.readerCredentials);

  it("stores a SecureString encrypted: ciphertext without decryption, the value with it, for the runner role", async () => {
    const name = `${prefix}round-trip`;
    expect(await put({ Name: name, Value: "the-jit-config" })).toMatchObject({ Version: 1, Tier: "Advanced" });
    const plain = await runner().send(new GetParameterCommand({ Name: name }));
    expect(plain.Parameter?.Value).not.toContain("the-jit-config");
    const got = await runner().send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    expect(got.Parameter).toMatchObject({ Name: name, Type: "SecureString", Value: "the-jit-config", Version: 1, DataType: "text" });
    expect(got.Parameter?.ARN).toBe(`arn:aws:ssm:us-east-1:123456789012:parameter${name}`);
    expect(got.Parameter?.LastModifiedDate).toBeInstanceOf(Date);
    await runner().send(new DeleteParameterCommand({ Name: name }));
    expect(await errorOf(runner().send(new GetParameterCommand({ Name: name })))).toBeInstanceOf(ParameterNotFound);
    expect(await errorOf(runner().send(new DeleteParameterCommand({ Name: name })))).toBeInstanceOf(ParameterNotFound);
  });

  it("loses an answer after the write landed (afterApplying) and deletes a parameter behind its owner's back", async () => {
    const name = `${prefix}lost-answer`;
    bed.sim.control.failNext({ service: "ssm", operation: "PutParameter", error: "InternalServerError", times: 1, afterApplying: true });
    const write = new PutParameterCommand({ Name: name, Value: "once", Type: "SecureString", KeyId: DEFAULT_JIT_KMS_KEY, Tier: "Advanced", Overwrite: true });
    const lost = await errorOf(bed.ssm(undefined, 2).send(write));
    // The SDK retried the call that had already happened: two writes, one answer (the second's).
    expect(lost).toBeUndefined();
    expect(bed.sim.control.listParameters().find((p) => p.name === name)?.version).toBe(2);
    expect(bed.sim.control.deleteParameter(name)).toBe(true);
    expect(await errorOf(runner().send(new GetParameterCommand({ Name: name })))).toBeInstanceOf(ParameterNotFound);
    expect(bed.sim.control.deleteParameter(name)).toBe(false);
  });
  it("answers model violations as SSM does: ValidationException, or SerializationException for a wrong type", async () => {
    const raw = async (body: unknown) => {
      const res = await fetch(bed.sim.endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "AmazonSSM.PutParameter",
          authorization: "AWS4-HMAC-SHA256 Credential=test/20261201/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=abc123",
        },
        body: JSON.stringify(body),
      });
      return (await res.json()) as { __type?: string; message?: string };
    };
    expect(await raw({ Name: "/x", Value: "v", Colour: "blue" })).toMatchObject({ __type: "ValidationException", message: expect.stringContaining("Colour") });
    expect(await raw({ Name: "/x" })).toMatchObject({ __type: "ValidationException", message: expect.stringContaining("Value") });
    expect(await raw({ Name: "/x", Value: "v", Tier: "Premium" })).toMatchObject({ __type: "ValidationException", message: expect.stringContaining("Premium") });
    expect((await raw({ Name: "/x", Value: "v", Overwrite: "yes" })).__type).toBe("SerializationException");
    expect(validateInput("ssm", "GetParameters", { Names: "one" })[0]).toMatchObject({ kind: "type", path: "Names" });
  });

  it("holds a Standard value to 4 KB and an Advanced one to 8 KB; Intelligent-Tiering picks Advanced when needed", async () => {
    const big = "x".repeat(4097);
    const standard = await errorOf(put({ Name: `${prefix}big-standard`, Value: big, Tier: "Standard" }));
    expect(standard).toBeInstanceOf(ValidationException);
    expect(standard?.message).toMatch(/Standard tier parameters support a maximum parameter value of 4096 characters/);
    expect(await put({ Name: `${prefix}big-auto`, Value: big, Tier: "Intelligent-Tiering" })).toMatchObject({ Tier: "Advanced" });
    expect(await put({ Name: `${prefix}small-auto`, Value: "x", Tier: "Intelligent-Tiering" })).toMatchObject({ Tier: "Standard" });
    expect(await errorOf(put({ Name: `${prefix}huge`, Value: "x".repeat(8193) }))).toBeInstanceOf(ValidationException);
    const policies = JSON.stringify([{ Type: "Expiration", Version: "1.0", Attributes: { Timestamp: "2030-01-01T00:00:00.000Z" } }]);
    expect(await errorOf(put({ Name: `${prefix}policy-standard`, Tier: "Standard", Policies: policies }))).toBeInstanceOf(ValidationException);
    expect(await put({ Name: `${prefix}policy-auto`, Tier: "Intelligent-Tiering", Policies: policies })).toMatchObject({ Tier: "Advanced" });
  });

  it("refuses an existing name without Overwrite, bad names, deep hierarchies and unknown keys in SSM's and KMS's words", async () => {
    await put({ Name: `${prefix}twice` });
    expect(await errorOf(put({ Name: `${prefix}twice` }))).toBeInstanceOf(ParameterAlreadyExists);
    expect(await put({ Name: `${prefix}twice`, Overwrite: true })).toMatchObject({ Version: 2 });
    expect(await errorOf(put({ Name: "/aws/mine" }))).toBeInstanceOf(ValidationException);
    expect(await errorOf(put({ Name: `${prefix}bad name!` }))).toBeInstanceOf(ValidationException);
    const deep = `/${Array.from({ length: 16 }, (_, i) => `l${i}`).join("/")}`;
    expect(await errorOf(put({ Name: deep }))).toBeInstanceOf(HierarchyLevelLimitExceededException);
    const noKey = await errorOf(put({ Name: `${prefix}no-key`, KeyId: "alias/does-not-exist" }));
    expect(noKey).toBeInstanceOf(InvalidKeyId);
    expect(noKey?.message).toMatch(/Alias arn:aws:kms:us-east-1:123456789012:alias\/does-not-exist is not found\. \(Service: AWSKMS/);
  });

  it("answers batches with the names it does not have, and refuses more than 10 names", async () => {
    await put({ Name: `${prefix}batch-a` });
    const got = await runner().send(new GetParametersCommand({ Names: [`${prefix}batch-a`, `${prefix}batch-missing`], WithDecryption: true }));
    expect(got.Parameters?.map((p) => p.Value)).toEqual(["v"]);
    expect(got.InvalidParameters).toEqual([`${prefix}batch-missing`]);
    const deleted = await bed.ssm().send(new DeleteParametersCommand({ Names: [`${prefix}batch-a`, `${prefix}batch-missing`] }));
    expect(deleted).toMatchObject({ DeletedParameters: [`${prefix}batch-a`], InvalidParameters: [`${prefix}batch-missing`] });
    const eleven = Array.from({ length: 11 }, (_, i) => `${prefix}n${i}`);
    expect(await errorOf(bed.ssm().send(new DeleteParametersCommand({ Names: eleven })))).toBeInstanceOf(ValidationException);
  });

  it("lets the runner role read and delete only under tornade's prefix, list nothing and touch nothing else", async () => {
    await put({ Name: "/elsewhere/secret", KeyId: "alias/aws/ssm" });
    const outside = await errorOf(runner().send(new GetParameterCommand({ Name: "/elsewhere/secret", WithDecryption: true })));
    expect(outside?.name).toBe("AccessDeniedException");
    expect(outside?.message).toMatch(/assumed-role\/tornade-runner\/runner is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter\/elsewhere\/secret/);
    expect((await errorOf(runner().send(new GetParametersByPathCommand({ Path: "/tornade/jit", Recursive: true }))))?.name).toBe("AccessDeniedException");
    expect((await errorOf(runner().send(new PutParameterCommand({ Name: `${prefix}forged`, Value: "v" }))))?.name).toBe("AccessDeniedException");
    const runnerEcs = new ECSClient({ endpoint: bed.sim.endpoint, region: bed.sim.region, credentials: bed.sim.runnerCredentials, maxAttempts: 1 });
    expect((await errorOf(runnerEcs.send(new DescribeTasksCommand({ cluster: "tornade", tasks: ["t"] }))))?.name).toBe("AccessDeniedException");
  });

  it("keeps a ReadOnlyAccess reader from decrypting tornade's key, though it can decrypt what alias/aws/ssm protects", async () => {
    await put({ Name: `${prefix}guarded`, Value: "jit" });
    const refused = await errorOf(reader().send(new GetParameterCommand({ Name: `${prefix}guarded`, WithDecryption: true })));
    expect(refused?.name).toBe("AccessDeniedException");
    expect(refused?.message).toMatch(/^The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access\. \(Service: AWSKMS/);
    // The controller writes but cannot read back either: only the runner role decrypts.
    expect((await errorOf(bed.ssm().send(new GetParameterCommand({ Name: `${prefix}guarded`, WithDecryption: true }))))?.name).toBe("AccessDeniedException");
    // Why tornade refuses alias/aws/ssm: its key policy lets anyone in the account with ssm:GetParameter decrypt.
    await put({ Name: `${prefix}default-key`, Value: "jit", KeyId: "alias/aws/ssm" });
    expect((await reader().send(new GetParameterCommand({ Name: `${prefix}default-key`, WithDecryption: true }))).Parameter?.Value).toBe("jit");
    expect((await errorOf(reader().send(new DeleteParameterCommand({ Name: `${prefix}default-key` }))))?.name).toBe("AccessDeniedException");
  });

  it("deletes a parameter once its Expiration policy's time has come", async () => {
    const at = new Date(clock.now() + 60_000).toISOString();
    await put({ Name: `${prefix}expiring`, Policies: JSON.stringify([{ Type: "Expiration", Version: "1.0", Attributes: { Timestamp: at } }]) });
    expect(bed.sim.control.listParameters().find((p) => p.name === `${prefix}expiring`)?.expiresAt).toBe(Date.parse(at));
    clock.advance(59_000);
    expect((await runner().send(new GetParameterCommand({ Name: `${prefix}expiring`, WithDecryption: true }))).Parameter?.Value).toBe("v");
    clock.advance(1_000);
    expect(await errorOf(runner().send(new GetParameterCommand({ Name: `${prefix}expiring` })))).toBeInstanceOf(ParameterNotFound);
    expect(bed.sim.control.listParameters().map((p) => p.name)).not.toContain(`${prefix}expiring`);
  });

  it("throttles beyond 40 transactions shared by reads and writes, and not deletes", async () => {
    bed.sim.control.resetQuotas();
    await put({ Name: `${prefix}hot` }); // 1
    const reads = await Promise.all(Array.from({ length: 45 }, () => errorOf(runner().send(new GetParameterCommand({ Name: `${prefix}hot` })))));
    expect(reads.filter((e) => e === undefined)).toHaveLength(39);
    expect(new Set(reads.filter(Boolean).map((e) => e?.name))).toEqual(new Set(["ThrottlingException"]));
    expect((await errorOf(put({ Name: `${prefix}after-burst` })))?.name).toBe("ThrottlingException");
    expect(await errorOf(runner().send(new DeleteParameterCommand({ Name: `${prefix}hot` })))).toBeUndefined();
    clock.advance(1_000); // a second later the bucket is full again
    expect(await put({ Name: `${prefix}after-burst` })).toMatchObject({ Version: 1 });
    expect(bed.sim.control.stats().errors["ssm.GetParameter.ThrottlingException"]).toBe(6);
  });

  it("gave only answers that match AWS's output model", () => {
    const ssm = bed.responses.filter((r) => r.service === "ssm");
    expect(new Set(ssm.map((r) => r.operation))).toEqual(
      new Set(["PutParameter", "GetParameter", "GetParameters", "DeleteParameter", "DeleteParameters"]),
    );
    expect(bed.outputProblems()).toEqual([]);
  });
});
