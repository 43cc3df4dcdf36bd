/**
 * The CodeBuild runners, whose service role is the job's credentials: what that role may do (pull the runner image
 * from its own repository only, write its own project's log group only), where the image comes from (the deploy's
 * copy, or your repository), and privileged mode. Read off the synthesized template; cdk-nag on a stack with an
 * explicit account and region and a repository of your own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, aws_ecr as ecr, Stack } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { afterAll, describe, expect, it } from "vitest";
import { addNag, runNag } from "../bin/nag.js";
import { ARCHS } from "../lib/runner-image.js";
import { TornadeRunners } from "../lib/tornade-runners.js";
import { actions, inlineCode, propertiesOf, statementsOf, synthesize, type Statement } from "./template.js";

const out = mkdtempSync(join(tmpdir(), "tornade-codebuild-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const { stack, tornade, template } = synthesize();
const copy = tornade.runnerImages.copy;
const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.resolve((c.node.defaultChild as { logicalId: string }).logicalId) as string;
const resourceOf = (statements: Statement[], action: string) => statements.filter((s) => actions(s).includes(action)).map((s) => s.Resource);

describe("CodeBuild runner roles", () => {
  it.each(ARCHS)("%s: may pull the runner image only from its own repository, write only its project's log group, and read only runners' JIT parameters", (arch) => {
    const statements = statementsOf(template, stack, tornade.codebuild.roles[arch]);
    expect(statements.flatMap(actions).sort()).toEqual(
      [
        "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer",
        "logs:CreateLogStream", "logs:PutLogEvents",
        // The build's one-time JIT parameter (CodeBuild resolves it; the entrypoint deletes it): runner-credentials.test.ts.
        "ssm:GetParameters", "ssm:DeleteParameter", "kms:Decrypt",
      ].sort(),
    );
    expect(resourceOf(statements, "ssm:GetParameters")).toEqual([stack.resolve(tornade.runnerCredentials.parametersArn)]);
    expect(copy).toBeDefined();
    expect(resourceOf(statements, "ecr:BatchGetImage")).toEqual([stack.resolve(copy?.repository.repositoryArn)]);
    expect(resourceOf(statements, "logs:PutLogEvents")).toEqual([stack.resolve(tornade.codebuild.logGroups[arch].logGroupArn)]);
    // Not the account's shared CDK asset repository, not CodeBuild's default log group, no report groups.
    const text = JSON.stringify(statements);
    for (const shared of ["container-assets", "/aws/codebuild/", "report-group", "logs:CreateLogGroup"]) expect(text).not.toContain(shared);
  });

  it("gives each project its own role and its own log group", () => {
    const [x86, arm] = ARCHS.map((arch) => propertiesOf(template, stack, tornade.codebuild.projects[arch]) as { ServiceRole: unknown; LogsConfig: unknown });
    expect(x86?.ServiceRole).toEqual({ "Fn::GetAtt": [logicalId(tornade.codebuild.roles.X86_64), "Arn"] });
    expect(arm?.ServiceRole).toEqual({ "Fn::GetAtt": [logicalId(tornade.codebuild.roles.ARM64), "Arn"] });
    expect(x86?.LogsConfig).toEqual({ CloudWatchLogs: { GroupName: { Ref: logicalId(tornade.codebuild.logGroups.X86_64) }, Status: "ENABLED" } });
    expect(arm?.LogsConfig).toEqual({ CloudWatchLogs: { GroupName: { Ref: logicalId(tornade.codebuild.logGroups.ARM64) }, Status: "ENABLED" } });
  });
});

/** An AwsCustomResource's call: JSON text joined with references, each read back as "<Ref ID>" (others "<…>"). */
function sdkCall(create: unknown): unknown {
  const join = (create as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  const text = join ? join[1].map((p) => (typeof p === "string" ? p : (p as { Ref?: string }).Ref ? `<Ref ${(p as { Ref: string }).Ref}>` : "<…>")).join(join[0]) : String(create);
  return JSON.parse(text);
}

describe("the runner image for CodeBuild", () => {
  it("is copied at deploy time into the runner repository, and the projects wait for the copy", () => {
    if (!copy) throw new Error("an asset-built runner image has a copy");
    template.hasResourceProperties("AWS::ECR::Repository", { ImageScanningConfiguration: { ScanOnPush: true } });
    const waits = template.findResources("AWS::CloudFormation::WaitCondition");
    expect(Object.keys(waits)).toHaveLength(1);
    const [waitId, wait] = Object.entries(waits)[0] as [string, { DependsOn: string[]; Properties: { Handle: { Ref: string } } }];
    for (const arch of ARCHS) {
      const project = template.toJSON().Resources[logicalId(tornade.codebuild.projects[arch])] as { DependsOn?: string[]; Properties: { Environment: { Image: unknown } } };
      expect(project.DependsOn).toContain(waitId);
      expect(JSON.stringify(project.Properties.Environment.Image)).toContain(`"Ref":"${logicalId(copy.repository)}"`);
      expect(JSON.stringify(project.Properties.Environment.Image)).toContain(`:${copy.tags[arch]}`);
    }
    // The custom resource starts the copy build with the wait condition's URL; the wait condition waits for it.
    const starts = template.findResources("Custom::AWS") as Record<string, { Properties: { Create: unknown } }>;
    const [startId, start] = Object.entries(starts)[0] ?? [];
    expect(wait.DependsOn).toContain(startId);
    const call = sdkCall(start?.Properties.Create) as { action: string; parameters: { environmentVariablesOverride: { name: string; value: string }[] } };
    expect(call.action).toBe("StartBuild");
    expect(call.parameters.environmentVariablesOverride).toContainEqual({ name: "WAIT_URL", value: `<Ref ${wait.Properties.Handle.Ref}>`, type: "PLAINTEXT" });
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: { Statement: [{ Action: "codebuild:StartBuild", Effect: "Allow", Resource: { "Fn::GetAtt": [logicalId(copy.project), "Arn"] } }] },
    });
  });

  it("is copied by a build whose role reads the asset images and pushes only to the runner repository", () => {
    if (!copy) throw new Error("an asset-built runner image has a copy");
    const statements = statementsOf(template, stack, copy.role);
    expect(resourceOf(statements, "ecr:PutImage")).toEqual([stack.resolve(copy.repository.repositoryArn)]);
    expect(JSON.stringify(resourceOf(statements, "ecr:BatchGetImage"))).toContain("container-assets");
    template.hasResourceProperties("AWS::CodeBuild::Project", {
      Environment: Match.objectLike({ Image: "aws/codebuild/standard:7.0", PrivilegedMode: true }),
      Source: Match.objectLike({ BuildSpec: Match.stringLikeRegexp("docker push") }),
    });
  });

  it("comes from your repository when you give one: no copy, and the roles pull only from it", () => {
    const own = synthesize({}, (s) => ({ runnerImage: { kind: "ecr", repository: ecr.Repository.fromRepositoryName(s, "Repo", "tornade-runner"), tagOrDigest: "2.334.0" } }));
    expect(own.tornade.runnerImages.copy).toBeUndefined();
    own.template.resourceCountIs("AWS::ECR::Repository", 0);
    own.template.resourceCountIs("AWS::CloudFormation::WaitCondition", 0);
    own.template.resourceCountIs("Custom::AWS", 0);
    for (const arch of ARCHS) {
      const statements = statementsOf(own.template, own.stack, own.tornade.codebuild.roles[arch]);
      expect(JSON.stringify(resourceOf(statements, "ecr:BatchGetImage"))).toContain(":repository/tornade-runner");
    }
  });
});

describe("privileged mode", () => {
  it("is on by default (Docker is what CodeBuild runners are for) and the build starts dockerd", () => {
    for (const arch of ARCHS) {
      expect(propertiesOf(template, stack, tornade.codebuild.projects[arch])["Environment"]).toMatchObject({
        PrivilegedMode: true,
        EnvironmentVariables: [{ Name: "TORNADE_DOCKER", Type: "PLAINTEXT", Value: "true" }],
      });
    }
    // runner-image/buildspec.yml starts dockerd only when TORNADE_DOCKER says it may.
    expect(JSON.stringify(propertiesOf(template, stack, tornade.codebuild.projects.X86_64)["Source"])).toMatch(/TORNADE_DOCKER:-true\}\\" = true \]; then \/usr\/local\/bin\/tornade-start-dockerd\.sh/);
  });

  it("turns off with codebuild.privileged: false, and the build then leaves dockerd alone", () => {
    const off = synthesize({ codebuild: { privileged: false } });
    for (const arch of ARCHS) {
      expect(propertiesOf(off.template, off.stack, off.tornade.codebuild.projects[arch])["Environment"]).toMatchObject({
        PrivilegedMode: false,
        EnvironmentVariables: [{ Name: "TORNADE_DOCKER", Type: "PLAINTEXT", Value: "false" }],
      });
    }
  });
});

describe("cdk-nag", () => {
  it("finds nothing unacknowledged with an explicit account and region, for the copied image and for your own", () => {
    const app = new App({ outdir: out });
    const env = { account: "111122223333", region: "eu-west-1" };
    new TornadeRunners(new Stack(app, "Copied", { env }), "Tornade", { github: { appId: 1 }, controllerCode: inlineCode });
    const s = new Stack(app, "Own", { env });
    new TornadeRunners(s, "Tornade", {
      github: { appId: 1 },
      controllerCode: inlineCode,
      runnerImage: { kind: "ecr", repository: ecr.Repository.fromRepositoryName(s, "Repo", "tornade-runner"), tagOrDigest: "2.334.0" },
      codebuild: { privileged: false },
    });
    addNag(app);
    expect(runNag(app).map((f) => `${f.rule} ${f.path}`)).toEqual([]);
  }, 120_000);
});
