/**
 * `npm run synth` end to end (as a child process, like CI runs it): offline, cdk-nag AwsSolutions clean, the template
 * in infra/cdk.out. And runNag itself: an unacknowledged finding is reported, an acknowledged one is not.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { App, aws_sqs as sqs, Stack, Validations } from "aws-cdk-lib";
import { afterAll, describe, expect, it } from "vitest";
import { HANDLERS } from "../lib/tornade-package.js";
import { addNag, runNag } from "../bin/nag.js";

const ROOT = resolve(import.meta.dirname, "../..");
const tmp = mkdtempSync(join(tmpdir(), "tornade-nag-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function synth(...args: string[]) {
  return spawnSync(process.execPath, ["bin/run-ts.js", "infra/bin/synth.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
}

describe("npm run synth", () => {
  it("synthesizes offline with no unacknowledged cdk-nag finding, and the template holds tornade", () => {
    const result = synth("-c", "appId=987654", "-c", "launchLabel=fast", "-c", "webhookReservedConcurrency=7", "-c", "codebuildPrivileged=false");
    expect(result.stderr).not.toContain("unacknowledged");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("synth: clean");
    const template = JSON.parse(readFileSync(join(ROOT, "infra/cdk.out/Tornade.template.json"), "utf8")) as {
      Resources: Record<string, { Type: string; Properties?: { Handler?: string; Environment?: { Variables?: Record<string, unknown> } } }>;
      Outputs: Record<string, unknown>;
    };
    const types = Object.values(template.Resources).map((r) => r.Type);
    for (const t of ["AWS::ECS::Cluster", "AWS::CodeBuild::Project", "AWS::Lambda::Url", "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Events::Rule", "AWS::CloudWatch::Alarm"]) {
      expect(types).toContain(t);
    }
    expect(types.filter((t) => t === "AWS::ECS::TaskDefinition")).toHaveLength(2);
    // tornade's four, and the deploy-time custom resource that starts the runner image copy.
    expect(types.filter((t) => t === "AWS::Lambda::Function")).toHaveLength(5);
    const envs = Object.values(template.Resources).flatMap((r) => (r.Type === "AWS::Lambda::Function" && r.Properties?.Environment ? [r.Properties.Environment.Variables ?? {}] : []));
    expect(envs).toHaveLength(4);
    const props = Object.values(template.Resources).map((r) => r.Properties as Record<string, unknown> | undefined);
    expect(props.filter((p) => p?.["ReservedConcurrentExecutions"] !== undefined).map((p) => p?.["ReservedConcurrentExecutions"])).toEqual([7]);
    expect(props.filter((p) => (p?.["Environment"] as { PrivilegedMode?: boolean } | undefined)?.PrivilegedMode === false)).toHaveLength(2);
    for (const env of envs) expect(env).toMatchObject({ APP_ID: "987654", LAUNCH_LABEL: "fast" });
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(["WebhookUrl", "PrivateKeySecretArn", "WebhookSecretArn"]));

    // The four functions run tornade's bundle (npm run build), one asset: each handler loads on its own with no
    // node_modules beside it (as in Lambda), copied out of the repository so Node cannot fall back to its node_modules.
    const handlers = Object.values(template.Resources).flatMap((r) => (r.Type === "AWS::Lambda::Function" && r.Properties?.Environment ? [r.Properties.Handler] : []));
    expect(handlers.sort()).toEqual(HANDLERS.map((h) => `${h}.handler`).sort());
    const bundles = readdirSync(join(ROOT, "infra/cdk.out")).filter((d) => existsSync(join(ROOT, "infra/cdk.out", d, "webhook.mjs")));
    expect(bundles).toHaveLength(1);
    const dir = join(tmp, "bundle");
    cpSync(join(ROOT, "infra/cdk.out", bundles[0] ?? ""), dir, { recursive: true });
    for (const name of HANDLERS) {
      const load = spawnSync(process.execPath, ["--input-type=module", "-e", `const m = await import('./${name}.mjs'); console.log(typeof m.handler);`], {
        cwd: dir,
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(load.stderr).toBe("");
      expect(load.stdout.trim()).toBe("function");
    }
  }, 180_000);

  it("refuses a bad context value with a message naming the key, exit 2", () => {
    const result = synth("-c", "appId=not-a-number");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("appId");
    const flag = synth("-c", "codebuildPrivileged=maybe");
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain("codebuildPrivileged=maybe: must be true or false");
    // What the context says is checked by the construct, every problem at once, each naming its prop.
    const props = synth("-c", "runnerScope=team", "-c", "defaultCpu=3", "-c", "webhookReservedConcurrency=0");
    expect(props.status).toBe(2);
    expect(props.stderr).toMatch(/invalid props:/);
    expect(props.stderr).toMatch(/- github\.runnerScope: .*Fix: repo or org/);
    expect(props.stderr).toMatch(/- defaults\.cpu: 3 is not a Fargate vCPU value\. Fix: use one of 0\.25, 0\.5, 1, 2, 4, 8, 16/);
    expect(props.stderr).toMatch(/- intake\.webhooks\.reservedConcurrency: 0 leaves the webhook no way in/);
  }, 120_000);
});

describe("runNag", () => {
  it("reports unacknowledged findings and honours acknowledgements", () => {
    const app = new App({ outdir: tmp });
    const stack = new Stack(app, "N");
    new sqs.Queue(stack, "Plain");
    const acked = new sqs.Queue(stack, "Acked", { enforceSSL: true });
    Validations.of(acked).acknowledge({ id: "AwsSolutions-SQS3", reason: "test: a queue without a DLQ on purpose" });
    addNag(app);
    const findings = runNag(app);
    expect(findings.map((f) => `${f.rule} ${f.path}`).sort()).toEqual(["AwsSolutions-SQS3 N/Plain/Resource", "AwsSolutions-SQS4 N/Plain/Resource"]);
  }, 60_000);
});
