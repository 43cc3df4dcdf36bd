/**
 * The scale-set intake (issue 15, "No inbound at all"), read off the synthesized template: with `webhooks: false`
 * nothing is public — no function URL, no load balancer, a controller service whose security group lets nothing in —
 * and the service runs `tornade serve` on the scale sets the props name, loading through tornade's own loadConfig,
 * with the App's key from Secrets Manager (never in its environment) and the least a controller needs.
 */
import { generateKeyPairSync } from "node:crypto";
import { App, aws_ecr as ecr, aws_iam as iam, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { intakesOf, loadConfig } from "tornade/config";
import { describe, expect, it } from "vitest";
import { addNag, runNag } from "../bin/nag.js";
import { TornadeRunners, TornadeRunnersPropsError, type ScaleSetIntakeProps, type TornadeRunnersProps } from "../lib/index.js";
import { actions, allStatements, deployed, functionEnvironment, inlineCode, inlineCodeFor, propertiesOf, statementsOf, synthesize } from "./template.js";

const SCALE_SETS: ScaleSetIntakeProps = {
  owner: "acme",
  repo: "app",
  installationId: 99,
  sets: [
    { name: "linux-x64", backend: "FARGATE_SPOT", maxRunners: 20 },
    { name: "linux-arm", backend: "FARGATE", arch: "ARM64", size: "large", minRunners: 1, maxRunners: 5 },
  ],
};

const noInbound = synthesize({ intake: { webhooks: false, scaleSets: SCALE_SETS } });
const resources = noInbound.template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
const service = noInbound.tornade.scaleSetService;

interface ContainerDefinition {
  Environment: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
  PortMappings?: unknown[];
  Command?: unknown;
  EntryPoint?: unknown;
}

function containerOf(t: ReturnType<typeof synthesize>): ContainerDefinition {
  const task = t.tornade.scaleSetService?.taskDefinition;
  if (!task) throw new Error("no scale-set service");
  const [container] = propertiesOf(t.template, t.stack, task)["ContainerDefinitions"] as ContainerDefinition[];
  if (!container) throw new Error("no container");
  return container;
}

describe("intake.scaleSets with webhooks: false", () => {
  it("deploys no public endpoint: no function URL, no load balancer, no API, no port, no inbound rule", () => {
    const types = Object.values(resources).map((r) => r.Type);
    expect(types).not.toContain("AWS::Lambda::Url");
    expect(types.filter((t) => /^AWS::(ElasticLoadBalancing|ElasticLoadBalancingV2|ApiGateway|ApiGatewayV2|CloudFront)::/.test(t))).toEqual([]);
    expect(types.filter((t) => t === "AWS::EC2::SecurityGroupIngress")).toEqual([]);
    // The security groups of the template (the runners' and the controller's): none lets anything in.
    for (const r of Object.values(resources).filter((x) => x.Type === "AWS::EC2::SecurityGroup")) expect(r.Properties).not.toHaveProperty("SecurityGroupIngress");
    expect(() => noInbound.tornade.webhookUrl).toThrow(/intake\.webhooks is false, so there is no webhook URL/);
    expect(Object.keys(noInbound.tornade.controller.functions).sort()).toEqual(["events", "sweep"]);
    expect(() => noInbound.tornade.controller.deployed("webhook")).toThrow(/not deployed with this intake \(intake\.webhooks is false\)/);

    if (!service) throw new Error("no scale-set service");
    const svc = propertiesOf(noInbound.template, noInbound.stack, service.service);
    expect(svc).not.toHaveProperty("LoadBalancers");
    expect(svc).not.toHaveProperty("ServiceRegistries");
    expect(svc).toMatchObject({ DesiredCount: 1, LaunchType: "FARGATE" });
    const network = (svc["NetworkConfiguration"] as { AwsvpcConfiguration: { SecurityGroups: unknown[]; AssignPublicIp: string } }).AwsvpcConfiguration;
    expect(network.SecurityGroups).toEqual([noInbound.stack.resolve(service.securityGroup.securityGroupId)]);
    // Egress only, and only HTTPS.
    const group = propertiesOf(noInbound.template, noInbound.stack, service.securityGroup);
    expect(group).not.toHaveProperty("SecurityGroupIngress");
    expect(group["SecurityGroupEgress"]).toEqual([expect.objectContaining({ IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "0.0.0.0/0" })]);
    expect(containerOf(noInbound)).not.toHaveProperty("PortMappings");
  });

  it("runs tornade serve on the scale sets the props name, on the construct's table and queue", () => {
    const container = containerOf(noInbound);
    const env: NodeJS.ProcessEnv = {};
    for (const { Name, Value } of container.Environment) env[Name] = deployed(Value, resources);
    expect(env).toMatchObject({
      TORNADE_INTAKE: "scale-sets",
      TORNADE_SCALE_SETS: "linux-x64=FARGATE_SPOT:0-20,linux-arm=FARGATE/ARM64/large:1-5",
      TORNADE_SCALE_SETS_OWNER: "acme",
      TORNADE_SCALE_SETS_REPO: "app",
      TORNADE_SCALE_SETS_INSTALLATION_ID: "99",
    });
    // `tornade serve`'s own loader, as the container starts: the key arrives from ECS's secrets.
    env["SECRET_KEY_PEM"] = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const config = loadConfig(env);
    expect(intakesOf(config)).toEqual({ webhooks: false, scaleSets: true });
    expect(config.scaleSets).toMatchObject({
      owner: "acme",
      repo: "app",
      installationId: 99,
      sets: [
        { name: "linux-x64", backend: "FARGATE_SPOT", minRunners: 0, maxRunners: 20 },
        { name: "linux-arm", backend: "FARGATE", arch: "ARM64", size: "large", minRunners: 1, maxRunners: 5 },
      ],
    });
    const { table, queue } = noInbound.tornade.controller;
    expect(config.store).toMatchObject({ kind: "dynamodb", table: deployed(noInbound.stack.resolve(table.tableName), resources) });
    expect(config.queue).toMatchObject({ kind: "sqs", url: deployed(noInbound.stack.resolve(queue.queueUrl), resources) });
    expect(config.aws.region).toBe("eu-west-1");
  });

  it("gets the App's key from Secrets Manager through ECS, never as a value, and no webhook secret", () => {
    const container = containerOf(noInbound);
    const key = noInbound.stack.resolve(noInbound.tornade.privateKeySecret.secretArn);
    expect(container.Secrets).toEqual([{ Name: "SECRET_KEY_PEM", ValueFrom: key }]);
    const names = container.Environment.map((e) => e.Name);
    expect(names.filter((n) => /SECRET|PEM|TOKEN/.test(n))).toEqual([]);
    // tornade serve with its default command: nothing on the command line.
    expect(container).not.toHaveProperty("Command");
    if (!service) throw new Error("no scale-set service");
    const execution = service.taskDefinition.executionRole;
    if (!execution) throw new Error("no execution role");
    const reads = statementsOf(noInbound.template, noInbound.stack, execution).filter((s) => actions(s).some((a) => a.startsWith("secretsmanager:")));
    expect(reads.map((s) => s.Resource)).toEqual([key]);
    // The task role, which the controller's code runs as, reads no secret at all.
    const taskStatements = statementsOf(noInbound.template, noInbound.stack, service.taskDefinition.taskRole);
    expect(taskStatements.flatMap(actions).filter((a) => a.startsWith("secretsmanager:"))).toEqual([]);
  });

  it("creates no webhook secret, names none to any function and lets no role read one", () => {
    const secrets = Object.values(resources).filter((r) => r.Type === "AWS::SecretsManager::Secret");
    expect(secrets.map((r) => r.Properties["Description"])).toEqual([expect.stringMatching(/the GitHub App's private key/)]);
    expect(() => noInbound.tornade.webhookSecret).toThrow(/intake\.webhooks is false, so there is no webhook secret/);
    const key = noInbound.stack.resolve(noInbound.tornade.privateKeySecret.secretArn);
    // Every secret any role may read is the App's key.
    const reads = allStatements(noInbound.template).filter((s) => actions(s).includes("secretsmanager:GetSecretValue"));
    expect(reads.length).toBeGreaterThan(0);
    for (const s of reads) expect([s.Resource].flat()).toEqual([key]);
    const { sweep, events } = noInbound.tornade.controller.functions;
    const sweepEnv = functionEnvironment(noInbound.template, noInbound.stack, sweep.fn);
    expect(Object.keys(sweepEnv).filter((n) => /SECRET_ARN$/.test(n))).toEqual(["TORNADE_PRIVATE_KEY_SECRET_ARN"]);
    expect(Object.keys(functionEnvironment(noInbound.template, noInbound.stack, events.fn)).filter((n) => /SECRET_ARN$/.test(n))).toEqual([]);
    // The sweep still loads: without the webhook intake tornade asks for no webhook secret.
    const env: NodeJS.ProcessEnv = { AWS_REGION: "eu-west-1" };
    for (const [k, v] of Object.entries(sweepEnv)) env[k] = deployed(v, resources);
    env["SECRET_KEY_PEM"] = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    expect(intakesOf(loadConfig(env))).toEqual({ webhooks: false, scaleSets: true });
  });

  it("grants a container controller the App's key alone", () => {
    const s = new Stack(new App(), "C", { env: { account: "111122223333", region: "eu-west-1" } });
    const intake = { webhooks: false, scaleSets: SCALE_SETS } as const;
    const t = new TornadeRunners(s, "Tornade", { github: { appId: 1 }, controllerCode: inlineCodeFor(intake), intake });
    const role = new iam.Role(s, "ServeTaskRole", { assumedBy: new iam.ServicePrincipal("ecs-tasks.amazonaws.com") });
    t.grantController(role);
    const reads = statementsOf(Template.fromStack(s), s, role).filter((x) => actions(x).includes("secretsmanager:GetSecretValue"));
    expect(reads.map((x) => x.Resource)).toEqual([s.resolve(t.privateKeySecret.secretArn)]);
  });

  it("lets the controller do what the worker function does, and nothing else", () => {
    if (!service) throw new Error("no scale-set service");
    const webhooksOnly = synthesize();
    const of = (t: ReturnType<typeof synthesize>, role: Parameters<typeof statementsOf>[2]) =>
      [...new Set(statementsOf(t.template, t.stack, role).flatMap(actions))].filter((a) => !a.startsWith("secretsmanager:") && !a.startsWith("logs:")).sort();
    const controller = of(noInbound, service.taskDefinition.taskRole);
    // IAM refuses a policy whose statement ids repeat.
    const sids = statementsOf(noInbound.template, noInbound.stack, service.taskDefinition.taskRole).flatMap((s) => (s.Sid ? [s.Sid] : []));
    expect(sids.length).toBeGreaterThan(5);
    expect(new Set(sids).size).toBe(sids.length);
    expect(controller).toEqual(of(webhooksOnly, webhooksOnly.tornade.controller.deployed("worker").role));
    expect(controller).toEqual(expect.arrayContaining(["ecs:RunTask", "iam:PassRole", "codebuild:StartBuild", "sqs:ReceiveMessage", "dynamodb:UpdateItem", "ssm:PutParameter"]));
    // Nothing is granted on everything but what has no resource to name (ECR's token, on the execution role).
    expect(allStatements(noInbound.template).filter((s) => s.Resource === "*").flatMap(actions)).toEqual(expect.not.arrayContaining(["ecs:RunTask", "sqs:ReceiveMessage"]));
  });

  it("watches the controller's log group for failed launches in the worker's place", () => {
    if (!service) throw new Error("no scale-set service");
    const filters = Object.values(resources).filter((r) => r.Type === "AWS::Logs::MetricFilter").map((r) => r.Properties["LogGroupName"]);
    expect(filters).toContainEqual(noInbound.stack.resolve(service.logGroup.logGroupName));
  });
});

describe("intake.scaleSets beside webhooks", () => {
  it("keeps the webhook function and its URL, runs the service on scale sets only, and deploys no worker function", () => {
    const both = synthesize({ intake: { webhooks: { reservedConcurrency: 5 }, scaleSets: { ...SCALE_SETS, replicas: 2 } } });
    const types = Object.values(both.template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types.filter((t) => t === "AWS::Lambda::Url")).toHaveLength(1);
    expect(both.tornade.webhookUrl).toBeTypeOf("string");
    expect(Object.keys(both.tornade.controller.functions).sort()).toEqual(["events", "sweep", "webhook"]);
    expect(() => both.tornade.controller.deployed("worker")).toThrow(/the scale-set controller consumes the work queue/);
    expect(containerOf(both).Environment).toContainEqual({ Name: "TORNADE_INTAKE", Value: "scale-sets" });
    const svc = both.tornade.scaleSetService;
    if (!svc) throw new Error("no scale-set service");
    expect(propertiesOf(both.template, both.stack, svc.service)).toMatchObject({ DesiredCount: 2 });
  });
});

describe("synth-time checks of intake.scaleSets", () => {
  const problemsOf = (intake: unknown, extra: Partial<TornadeRunnersProps> = {}): string[] => {
    const stack = new Stack(new App(), "P", { env: { account: "111122223333", region: "eu-west-1" } });
    try {
      new TornadeRunners(stack, "Tornade", { github: { appId: 4242 }, controllerCode: inlineCodeFor(intake), intake, ...extra } as TornadeRunnersProps);
      return [];
    } catch (e) {
      if (!(e instanceof TornadeRunnersPropsError)) throw e;
      return [...e.problems];
    }
  };

  it("report the construct's own problems at once, each with its fix", () => {
    expect(
      problemsOf(
        {
          webhooks: false,
          scaleSets: {
            owner: "acme",
            installationId: 1,
            replicas: 0,
            sets: [{ name: "a,b", backend: "FARGATE", labels: ["gpu"], image: "big" }, { name: "x", backend: "FARGATE", minRunners: 1.5 }],
            image: { kind: "ecr", tagOrDigest: "latest!" },
          },
        },
        { controllerCode: { ...inlineCode } },
      ),
    ).toEqual([
      expect.stringMatching(/^intake\.scaleSets\.replicas: 0 must be a whole number of at least 1 .*Fix: leave it out for 1$/),
      expect.stringMatching(/^intake\.scaleSets\.sets\.0\.labels: extra labels are not deployed by the construct.*Fix: remove it; jobs name the scale set/),
      expect.stringMatching(/^intake\.scaleSets\.sets\.0\.image: an image catalog .* is not deployed by the construct/),
      'intake.scaleSets.sets.0.name: "a,b" must be text without spaces or any of , = / :; what a job\'s runs-on names',
      "intake.scaleSets.sets.1.minRunners: 1.5 must be a whole number. Fix: leave it out for 0",
      expect.stringMatching(/^intake\.scaleSets\.image\.repository: missing; the ECR repository holding the controller image/),
      expect.stringMatching(/^intake\.scaleSets\.image\.tagOrDigest: "latest!" is neither an image tag/),
      "controllerCode.webhook: intake.webhooks is false, so there is no webhook function. Fix: remove it",
      expect.stringMatching(/^controllerCode\.worker: with intake\.scaleSets the scale-set controller consumes the work queue/),
    ]);
  });

  it("let tornade's own loader judge the scale sets, in the props' names", () => {
    expect(
      problemsOf({
        scaleSets: { owner: "acme", sets: [{ name: "big", backend: "FARGATE", minRunners: 60, maxRunners: 100 }, { name: "BIG", backend: "FARGATE" }] },
      }),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^intake\.scaleSets\.repo: missing; with github\.runnerScope repo a scale set serves one repository/),
        expect.stringMatching(/^intake\.scaleSets\.installationId: missing; a GitHub App manages scale sets through its installation/),
        expect.stringMatching(/^intake\.scaleSets\.sets\.1: the name BIG is taken by scaleSets\.sets\.0/),
        expect.stringMatching(/^intake\.scaleSets\.sets: the scale sets' minRunners add up to 60, more than limits\.maxRunners \(50\)/),
      ]),
    );
    expect(problemsOf({ scaleSets: { owner: "acme", installationId: 3, sets: [{ name: "x", backend: "LAMBDA" }] } }, { github: { appId: 1, runnerScope: "org" } })).toEqual([
      expect.stringMatching(/^intake\.scaleSets\.sets\.0\.backend: /),
    ]);
    expect(problemsOf({ webhooks: false, scaleSets: { owner: "acme", installationId: 3, sets: [] } }, { github: { appId: 1, runnerScope: "org" } })).toEqual([
      expect.stringMatching(/^intake\.scaleSets\.sets: must be a non-empty list; the scale sets jobs name in runs-on/),
    ]);
    expect(problemsOf({ scaleSets: { owner: "acme", installationId: 3, sets: [{ name: "x", backend: "FARGATE" }] } }, { github: { appId: 1, runnerScope: "org" } })).toEqual([]);
  });
});

describe("cdk-nag", () => {
  it("finds nothing unacknowledged with the scale-set intake alone, or beside webhooks with an image of your own", () => {
    const app = new App();
    const env = { account: "111122223333", region: "eu-west-1" };
    const noInbound = { webhooks: false, scaleSets: SCALE_SETS } as const;
    new TornadeRunners(new Stack(app, "NoInbound", { env }), "Tornade", { github: { appId: 1 }, controllerCode: inlineCodeFor(noInbound), intake: noInbound });
    const s = new Stack(app, "Both", { env });
    const both = { scaleSets: { ...SCALE_SETS, image: { kind: "ecr", repository: ecr.Repository.fromRepositoryName(s, "Repo", "tornade"), tagOrDigest: "0.1.0" } } } as const;
    new TornadeRunners(s, "Tornade", { github: { appId: 1 }, controllerCode: inlineCodeFor(both), intake: both });
    addNag(app);
    expect(runNag(app).map((f) => `${f.rule} ${f.path}`)).toEqual([]);
  }, 120_000);
});
