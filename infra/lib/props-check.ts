/**
 * What the construct checks itself, at synth, before it declares anything: the props that are the construct's own
 * (intake, secrets, network, schedule, alarms) and what depends on where the stack deploys. tornade's settings are
 * checked by tornade (config-check.ts). Every problem names the prop and the fix, and all are reported at once.
 */
import { aws_secretsmanager as sm, Token } from "aws-cdk-lib";
import { RegionInfo } from "aws-cdk-lib/region-info";
import type { IConstruct } from "constructs";
import type { Config } from "tornade/config";
import { checkWithTornade } from "./config-check.js";
import { envName } from "./controller-env.js";
import { CONTROLLER_ARCHITECTURE, SECRETS_EXTENSION_VERSION } from "./controller-function.js";
import { intakeProblems, scaleSetEnvironment } from "./intake.js";
import { computeTypeProblems, resourceProblems } from "./resource-checks.js";
import type { Arch } from "./runner-image.js";
import { settingsEnvironment } from "./settings.js";
import type { TornadeRunnersProps } from "./tornade-runners.js";

/** Props that cannot deploy a working tornade; the message lists every problem. */
export class TornadeRunnersPropsError extends Error {
  override readonly name = "TornadeRunnersPropsError";
  constructor(
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    super(`TornadeRunners ${path}: invalid props:\n  - ${problems.join("\n  - ")}`);
  }
}

/** Every prop (TypeScript makes this list complete): anything else given is reported, not silently ignored. */
const PROPS: Readonly<Record<keyof TornadeRunnersProps, true>> = {
  github: true,
  launchLabel: true,
  defaultBackend: true,
  defaultArch: true,
  defaults: true,
  limits: true,
  launch: true,
  sweeper: true,
  logLevel: true,
  intake: true,
  vpc: true,
  subnets: true,
  securityGroups: true,
  assignPublicIp: true,
  jitConfig: true,
  runnerImage: true,
  codebuild: true,
  maxReceiveCount: true,
  launchFailureAlarmThreshold: true,
  alarmTopic: true,
  logRetention: true,
  controllerCode: true,
};

/** Keys of tornade's configuration file that are not props, and why. */
const NOT_PROPS: Readonly<Record<string, string>> = {
  pool:
    "the serverless controller does not run the static pool (its rounds run in `tornade serve`). Fix: remove it, or run the controller as a container with this construct's runners (docs/deploy-aws.md, \"The container layout\")",
  aws: "the construct creates the cluster, task definitions, projects and key itself. Fix: use the props vpc, subnets, securityGroups, assignPublicIp and jitConfig",
  store: "the construct's controller keeps its state in its own DynamoDB table and SQS queue. Fix: remove it",
  queue: "the construct's controller keeps its state in its own DynamoDB table and SQS queue. Fix: remove it",
  scaleSets: "runner scale sets are a way in. Fix: give them as intake.scaleSets",
  server: "the functions have no listener: GitHub reaches the webhook function's URL. Fix: remove it",
  admin: "the functions have no operator listener. Fix: remove it",
  images: "an image catalog (image=NAME) is not deployed by the construct yet. Fix: remove it; use runnerImage for the default image",
  sizes: "size presets are not passed by the construct yet. Fix: remove it; use defaults.cpu/defaults.memory",
  prices: "cost estimates are `tornade cost`'s and the dashboard's, which the functions do not serve. Fix: remove it",
};

/**
 * Where Fargate Spot cannot run a CPU architecture. AWS's ECS API reference (CapacityProviderStrategyItem, as the
 * AWS SDK tornade uses carries it): "FARGATE_SPOT supports Linux tasks with the X86_64 architecture on platform
 * version 1.3.0 or later ... with the ARM64 architecture on platform version 1.4.0 or later" (ARM64 since 2024-09,
 * What's New "Amazon ECS now supports AWS Graviton-based Spot compute with AWS Fargate"). AWS's documentation for
 * the China Regions ("Amazon Fargate capacity providers", docs.amazonaws.cn) still says "Linux tasks with the ARM64
 * architecture don't support the Fargate Spot capacity provider". Update this table when AWS's pages change.
 */
export const FARGATE_SPOT_UNSUPPORTED: readonly { readonly arch: Arch; readonly region: RegExp; readonly where: string }[] = [
  { arch: "ARM64", region: /^cn-/, where: "the China Regions" },
];

/** The shortest schedule EventBridge runs, and its unit ("Schedule expressions for rules": rate in whole minutes). */
const SCHEDULE_UNIT_SECONDS = 60;

export function propsProblems(props: TornadeRunnersProps, region: string | undefined): string[] {
  const problems: string[] = [];
  const p = props as unknown as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (Object.hasOwn(PROPS, key)) continue;
    problems.push(`${key}: ${NOT_PROPS[key] ?? "not a prop of TornadeRunners. Fix: remove it or correct its spelling (see TornadeRunnersProps)"}`);
  }
  problems.push(...githubProblems(props));
  problems.push(...intakeProblems(props.intake));
  problems.push(...regionProblems(region));
  problems.push(...spotProblems(props, region));
  const interval = props.sweeper?.intervalSeconds;
  if (typeof interval === "number" && (interval < SCHEDULE_UNIT_SECONDS || interval % SCHEDULE_UNIT_SECONDS !== 0)) {
    const minutes = Math.max(1, Math.round(interval / SCHEDULE_UNIT_SECONDS));
    problems.push(
      `sweeper.intervalSeconds: ${interval} is not a whole number of minutes; the sweep runs on an EventBridge schedule, whose rate is whole minutes (at least 1). Fix: ${minutes * SCHEDULE_UNIT_SECONDS}`,
    );
  }
  problems.push(...resourceProblems(props));
  return problems;
}

function githubProblems(props: TornadeRunnersProps): string[] {
  const github = props.github as unknown;
  if (typeof github !== "object" || github === null) {
    return ["github: missing; at least { appId } of the GitHub App (its settings page, \"App ID\")"];
  }
  const problems: string[] = [];
  if ((github as Record<string, unknown>)["appId"] === undefined) problems.push('github.appId: missing; the GitHub App\'s ID (its settings page, "App ID")');
  for (const name of ["privateKey", "webhookSecret"] as const) problems.push(...secretProblems(`github.${name}`, (github as Record<string, unknown>)[name]));
  const intake = props.intake as unknown;
  if ((github as Record<string, unknown>)["webhookSecret"] !== undefined && typeof intake === "object" && intake !== null && (intake as Record<string, unknown>)["webhooks"] === false) {
    problems.push("github.webhookSecret: given, but intake.webhooks is false, so nothing verifies a webhook and no function is given the secret. Fix: remove github.webhookSecret, or leave intake.webhooks on");
  }
  return problems;
}

/**
 * A secret must be a Secrets Manager secret whose value is not in the template: given as text (or as a secret made
 * from text), it would sit in the CloudFormation template, the cloud assembly and the stack's history.
 */
function secretProblems(prop: string, value: unknown): string[] {
  if (value === undefined) return [];
  const fix = `Fix: give a Secrets Manager secret (e.g. secretsmanager.Secret.fromSecretNameV2(this, "Secret", "NAME")) and put the value in it outside the template, or leave ${prop} out for a new secret`;
  if (typeof value !== "object" || value === null || !("secretArn" in value)) {
    return [`${prop}: given as ${typeof value === "string" ? "plain text" : "something other than a secret"}, which would be written into the template. ${fix}`];
  }
  const child = (value as Partial<IConstruct>).node?.defaultChild;
  if (child instanceof sm.CfnSecret && typeof child.secretString === "string" && !Token.isUnresolved(child.secretString)) {
    return [`${prop}: this secret's value is plain text in the template (SecretValue.unsafePlainText). ${fix}`];
  }
  return [];
}

/**
 * The functions read their secrets through the AWS Parameters and Secrets Lambda Extension, whose layer AWS publishes
 * per region and architecture (aws-cdk-lib's region facts list where).
 */
function regionProblems(region: string | undefined): string[] {
  if (region === undefined) return [];
  const arch = CONTROLLER_ARCHITECTURE.name;
  if (RegionInfo.get(region).paramsAndSecretsLambdaLayerArn(SECRETS_EXTENSION_VERSION, arch) !== undefined) return [];
  return [
    `the stack's region ${region}: AWS publishes no ${arch} layer of the Parameters and Secrets Lambda Extension there (version ${SECRETS_EXTENSION_VERSION}), which tornade's functions read their secrets through. Fix: deploy the stack to another region`,
  ];
}

function spotProblems(props: TornadeRunnersProps, region: string | undefined): string[] {
  if (region === undefined || String(props.defaultBackend ?? "").toUpperCase() !== "FARGATE_SPOT") return [];
  const arch = String(props.defaultArch ?? "X86_64").toUpperCase();
  return FARGATE_SPOT_UNSUPPORTED.filter((u) => u.arch === arch && u.region.test(region)).map(
    (u) =>
      `defaultBackend: FARGATE_SPOT runs no ${arch} tasks in ${u.where} (${region}), so every job naming no runs-on= would fail to launch. Fix: defaultBackend FARGATE, or defaultArch X86_64`,
  );
}

/**
 * The props checked, all at once: the construct's own checks, the settings' shape, and tornade's loadConfig over the
 * environment the controller will get — the functions', and with the scale-set intake the scale-set container's too.
 * Returns what the functions will load, the settings' environment and the container's intake variables.
 */
export function checkProps(
  path: string,
  props: TornadeRunnersProps,
  region: string | undefined,
): { config: Config; settingsEnv: Record<string, string>; intakeEnv: Record<string, string> } {
  const problems = propsProblems(props, region);
  const settings = settingsEnvironment(props);
  problems.push(...settings.problems);
  const appId = envName("github.appId");
  const input = {
    // A missing App ID is said above; a stand-in keeps tornade from saying it again in its own words.
    settingsEnv: { [appId]: "1", ...settings.env },
    assignPublicIp: props.assignPublicIp ?? (props.vpc === undefined),
    jitParameterPrefix: props.jitConfig?.parameterPrefix,
    region,
  };
  const tornade = checkWithTornade(input);
  problems.push(...tornade.problems);
  if (tornade.config !== undefined) problems.push(...computeTypeProblems(props, tornade.config));
  const scaleSets = props.intake?.scaleSets;
  // Only a well-formed scale-set intake makes an environment worth checking (its shape is reported above).
  const intakeEnv = scaleSets && tornade.config && intakeProblems(props.intake).length === 0 ? scaleSetEnvironment(scaleSets, tornade.config.defaultArch) : {};
  if (Object.keys(intakeEnv).length > 0) {
    // The settings' problems are said once, from the functions' check. TORNADE_INTAKE is the construct's own, so a
    // problem tornade names it by ("intake: … none is configured") only echoes one of the scale sets', said as such.
    const seen = new Set(problems);
    problems.push(...checkWithTornade({ ...input, intakeEnv }).problems.filter((p) => !seen.has(p) && !p.startsWith("intake: ")));
  }
  if (problems.length > 0 || tornade.config === undefined) throw new TornadeRunnersPropsError(path, problems);
  return { config: tornade.config, settingsEnv: settings.env, intakeEnv };
}
