/**
 * Props are checked when the app synthesizes (issue 16): each problem names the prop and the fix, every problem is
 * reported at once, and tornade's settings are judged by tornade's own loadConfig (its Fargate size table, its
 * ceilings, its scope check), in tornade's words.
 */
import { App, aws_codebuild as codebuild, aws_ec2 as ec2, aws_ecr as ecr, aws_logs as logs, aws_secretsmanager as sm, SecretValue, Stack } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { CODEBUILD_COMPUTE_TYPES } from "../../src/providers/codebuild.js";
import { TornadeRunners, TornadeRunnersPropsError, type TornadeRunnersProps } from "../lib/index.js";
import { CODEBUILD_SIZES } from "../lib/resource-checks.js";
import { inlineCode, inlineCodeFor, propertiesOf, synthesize } from "./template.js";

type Props = Partial<TornadeRunnersProps> | Record<string, unknown>;

/** The problems TornadeRunners refuses `props` with (none: it synthesized); props may be made in the stack. */
function problemsOf(props: Props | ((stack: Stack) => Props), region = "eu-west-1"): string[] {
  const stack = new Stack(new App(), "P", { env: { account: "111122223333", region } });
  const given = typeof props === "function" ? props(stack) : props;
  try {
    new TornadeRunners(stack, "Tornade", { github: { appId: 4242 }, controllerCode: inlineCodeFor((given as { intake?: unknown }).intake), ...given } as TornadeRunnersProps);
    return [];
  } catch (e) {
    if (!(e instanceof TornadeRunnersPropsError)) throw e;
    expect(e.message).toContain("TornadeRunners P/Tornade: invalid props:");
    return [...e.problems];
  }
}

describe("synth-time checks", () => {
  it("report every problem at once, each naming the prop and the fix", () => {
    const problems = problemsOf({
      defaults: { cpu: 3 },
      limits: { maxRunners: 0 },
      github: { appId: 4242, webhookSecret: "hunter2" },
      intake: { webhooks: { reservedConcurrency: 0 } },
      sweeper: { intervalSeconds: 90 },
      assignPublicIp: false,
      maxReceiveCount: 0,
      pool: { runners: "FARGATE/X86_64=2" },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^defaults\.cpu: 3 is not a Fargate vCPU value\. Fix: use one of 0\.25, 0\.5, 1, 2, 4, 8, 16$/),
        expect.stringMatching(/^limits\.maxRunners: .*Fix: a positive whole number/),
        expect.stringMatching(/^github\.webhookSecret: given as plain text, which would be written into the template\. Fix: give a Secrets Manager secret/),
        expect.stringMatching(/^intake\.webhooks\.reservedConcurrency: 0 leaves the webhook no way in .*Fix: leave it out for 20$/),
        expect.stringMatching(/^sweeper\.intervalSeconds: 90 is not a whole number of minutes.*Fix: 120$/),
        expect.stringMatching(/^assignPublicIp: false with the VPC this construct creates .*no route to GitHub/),
        expect.stringMatching(/^maxReceiveCount: 0 must be a whole number from 1 to 1000/),
        expect.stringMatching(/^pool: the serverless controller does not run the static pool/),
      ]),
    );
    expect(problems).toHaveLength(8);
  });

  it("check Fargate sizes with tornade's table, and fill in the other half as tornade does", () => {
    expect(problemsOf({ defaults: { cpu: 4, memory: 1024 } })).toEqual([
      "defaults.memory: Fargate does not run 4 vCPU with 1024 MiB. Fix: use 8192–30720 MiB in 1024 MiB steps",
    ]);
    expect(problemsOf({ defaults: { disk: 500 } })).toEqual([expect.stringMatching(/^defaults\.disk: .*Fix: whole GiB from 21 to 200/)]);
    // A setting the construct only passes on is checked in tornade's words too (JavaScript callers have no types).
    expect(problemsOf({ logLevel: "loud" as "info" })).toEqual([expect.stringMatching(/^logLevel: .*"trace".*"error"/)]);
    // A default over the cost ceiling would reject every job that names no size.
    expect(problemsOf({ defaults: { cpu: 16 } })).toEqual([expect.stringMatching(/^defaults\.cpu: the default .*limits\.maxCpu/)]);
    const { stack, tornade, template } = synthesize({ defaults: { cpu: 2 } });
    expect(propertiesOf(template, stack, tornade.ecs.taskDefinitions.ARM64)).toMatchObject({ Cpu: "2048", Memory: "4096" });
    // A whole template, on two cores shared with other work.
  }, 120_000);

  it("refuse a secret whose value is in the template, and take one that is not", () => {
    const stack = new Stack(new App(), "S", { env: { account: "111122223333", region: "eu-west-1" } });
    const plain = new sm.Secret(stack, "Plain", { secretStringValue: SecretValue.unsafePlainText("-----BEGIN RSA PRIVATE KEY-----") });
    expect(() => new TornadeRunners(stack, "T1", { github: { appId: 1, privateKey: plain }, controllerCode: inlineCode })).toThrow(
      /github\.privateKey: this secret's value is plain text in the template \(SecretValue\.unsafePlainText\)/,
    );
    const byName = sm.Secret.fromSecretNameV2(stack, "ByName", "tornade/app-key");
    const t = new TornadeRunners(stack, "T2", { github: { appId: 1, privateKey: byName }, controllerCode: inlineCode });
    expect(t.privateKeySecret).toBe(byName);
  });

  it("refuse a webhook secret where no webhook is taken in", () => {
    const stack = new Stack(new App(), "S", { env: { account: "111122223333", region: "eu-west-1" } });
    const webhookSecret = sm.Secret.fromSecretNameV2(stack, "Hook", "tornade/webhook");
    const intake = { webhooks: false, scaleSets: { owner: "acme", installationId: 3, sets: [{ name: "x", backend: "FARGATE" }] } } as const;
    expect(() => new TornadeRunners(stack, "T", { github: { appId: 1, runnerScope: "org", webhookSecret }, intake, controllerCode: inlineCodeFor(intake) })).toThrow(
      /github\.webhookSecret: given, but intake\.webhooks is false, so nothing verifies a webhook.*Fix: remove github\.webhookSecret/,
    );
  });

  it("refuse an intake that leaves jobs no way in", () => {
    expect(problemsOf({ intake: { webhooks: false } })).toEqual([
      "intake.webhooks: false leaves jobs no way in. Fix: leave intake.webhooks out (or true), or add intake.scaleSets (no public endpoint at all)",
    ]);
    expect(problemsOf({ intake: { webhooks: false, scaleSets: true } as never })).toEqual([expect.stringMatching(/^intake\.scaleSets: must be an object, e\.g\. \{ owner: /)]);
    expect(problemsOf({ intake: "webhook" as never })).toEqual([expect.stringMatching(/^intake: must be an object naming the ways in, e.g\. \{ webhooks: true \} \(the default\), got "webhook"/)]);
    expect(problemsOf({ intake: { webhook: true, webhooks: { concurrency: 5 } } as never })).toEqual([
      expect.stringMatching(/^intake\.webhook: not a way in\. Fix: remove it or correct its spelling \(webhooks, scaleSets\)$/),
      expect.stringMatching(/^intake\.webhooks\.concurrency: not a setting of the webhook intake\. Fix: .*\(reservedConcurrency\)$/),
    ]);
    expect(problemsOf({ intake: { webhooks: true } })).toEqual([]);
    expect(problemsOf({ intake: {} })).toEqual([]);
  });

  it("refuse a network runner tasks could not reach GitHub from", () => {
    const onlyPublic = (stack: Stack) =>
      ec2.Vpc.fromVpcAttributes(stack, "Vpc", { vpcId: "vpc-1", availabilityZones: ["eu-west-1a", "eu-west-1b"], publicSubnetIds: ["subnet-a", "subnet-b"] });
    // A VPC you give: its private subnets by default, and it has none.
    expect(problemsOf((stack) => ({ vpc: onlyPublic(stack) }))).toEqual([
      expect.stringMatching(/^subnets \(default: the private subnets of vpc\): There are no 'Private' subnet groups in this VPC.*Fix: give subnets selecting where runner tasks go/),
    ]);
    // Its public subnets need a public IP, which a given VPC's tasks do not get unless asked.
    const publicSubnets = { subnetType: ec2.SubnetType.PUBLIC };
    expect(problemsOf((stack) => ({ vpc: onlyPublic(stack), subnets: publicSubnets }))).toEqual([
      expect.stringMatching(/^assignPublicIp: runner tasks go into public subnets without a public IP, which leaves them no route to GitHub.*Fix: assignPublicIp: true/),
    ]);
    expect(problemsOf((stack) => ({ vpc: onlyPublic(stack), subnets: publicSubnets, assignPublicIp: true }))).toEqual([]);
    expect(problemsOf((stack) => ({ vpc: onlyPublic(stack), subnets: { subnetType: ec2.SubnetType.PUBLIC, availabilityZones: ["eu-west-1c"] }, assignPublicIp: true }))).toEqual([
      expect.stringMatching(/^subnets: selects no subnet of vpc/),
    ]);
    expect(problemsOf({ securityGroups: [] })).toEqual([expect.stringMatching(/^securityGroups: an empty list\. Fix:/)]);
  });

  it("keep CodeBuild's default size within tornade's sizes and ceiling", () => {
    // The construct's table of sizes is tornade's own.
    expect(CODEBUILD_SIZES).toEqual(CODEBUILD_COMPUTE_TYPES);
    expect(problemsOf({ codebuild: { computeType: codebuild.ComputeType.LAMBDA_1GB } })).toEqual([
      expect.stringMatching(/^codebuild\.computeType: BUILD_LAMBDA_1GB is not a compute type tornade's CodeBuild runners run on\. Fix: one of ComputeType\.SMALL/),
    ]);
    expect(problemsOf({ codebuild: { computeType: codebuild.ComputeType.X2_LARGE } })).toEqual([
      "codebuild.computeType: BUILD_GENERAL1_2XLARGE (size 2xlarge) is over limits.maxCodeBuildSize (large), and every CodeBuild job naming no size= would run on it. Fix: BUILD_GENERAL1_LARGE or smaller, or raise limits.maxCodeBuildSize to 2xlarge",
    ]);
    expect(problemsOf({ codebuild: { computeType: codebuild.ComputeType.X2_LARGE }, limits: { maxCodeBuildSize: "2xlarge" } })).toEqual([]);
    expect(problemsOf({ codebuild: { computeType: codebuild.ComputeType.MEDIUM, privilegd: false } as never })).toEqual([
      expect.stringMatching(/^codebuild\.privilegd: not a prop of the CodeBuild runners\. Fix: .*\(computeType, timeout, privileged\)$/),
    ]);
  });

  it("refuse what AWS would refuse at deploy: an image tag, a log retention, a function that does not exist", () => {
    expect(
      problemsOf((stack) => ({
        runnerImage: { kind: "ecr", repository: ecr.Repository.fromRepositoryName(stack, "Repo", "runner"), tagOrDigest: "2.334.0 latest" },
        logRetention: 45 as logs.RetentionDays,
        controllerCode: { ...inlineCode, sweeper: inlineCode["sweep"] },
      })),
    ).toEqual([
      expect.stringMatching(/^runnerImage\.tagOrDigest: "2\.334\.0 latest" is neither an image tag .* nor a sha256:<64 hex> digest/),
      expect.stringMatching(/^logRetention: 45 is not a retention CloudWatch Logs offers\. Fix: a logs\.RetentionDays value/),
      "controllerCode.sweeper: not one of tornade's functions. Fix: one of webhook, worker, events, sweep",
    ]);
  });

  it("refuse a region that cannot run the functions, and a default route to Fargate Spot on an architecture it cannot run", () => {
    const spotArm = { defaultBackend: "FARGATE_SPOT", defaultArch: "ARM64" } as const;
    const noExtension = expect.stringMatching(/^the stack's region cn-north-1: AWS publishes no arm64 layer of the Parameters and Secrets Lambda Extension there/);
    expect(problemsOf(spotArm, "cn-north-1")).toEqual([
      noExtension,
      "defaultBackend: FARGATE_SPOT runs no ARM64 tasks in the China Regions (cn-north-1), so every job naming no runs-on= would fail to launch. Fix: defaultBackend FARGATE, or defaultArch X86_64",
    ]);
    expect(problemsOf(spotArm, "eu-west-1")).toEqual([]);
    expect(problemsOf({ defaultBackend: "FARGATE_SPOT" }, "cn-north-1")).toEqual([noExtension]);
    // Without a region at synth (an environment-agnostic stack) there is nothing to check against.
    expect(() => new TornadeRunners(new Stack(new App(), "Agnostic"), "T", { github: { appId: 1 }, ...spotArm, controllerCode: inlineCode })).not.toThrow();
  });

  it("name misspelt and unknown keys instead of ignoring them", () => {
    expect(problemsOf({ limits: { maxRuners: 5 } as never, githubAppId: 5 })).toEqual([
      expect.stringMatching(/^githubAppId: not a prop of TornadeRunners/),
      expect.stringMatching(/^limits\.maxRuners: not a setting of limits\. Fix: remove it or correct its spelling \(maxRunners, perBackend, /),
    ]);
    expect(problemsOf({ github: undefined as never })).toEqual([expect.stringMatching(/^github: missing/)]);
    expect(problemsOf({ github: {} as never })).toEqual([expect.stringMatching(/^github\.appId: missing/)]);
  });

  it("use tornade's words for its settings: enums, lists, the scope rule", () => {
    expect(problemsOf({ defaultBackend: "LAMBDA" as never })).toEqual([expect.stringMatching(/^defaultBackend: .*Fix: FARGATE, FARGATE_SPOT or CODEBUILD$/)]);
    expect(problemsOf({ github: { appId: 1, allowedRepositories: ["acme"] } })).toEqual([expect.stringMatching(/^github\.allowedRepositories\.0: must be owner\/repo/)]);
    expect(problemsOf({ jitConfig: { parameterPrefix: "tornade" } })).toEqual([expect.stringMatching(/^jitConfig\.parameterPrefix: "tornade" /)]);
  });
});
