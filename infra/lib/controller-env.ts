/**
 * The environment the construct gives tornade's Lambda functions, generated from tornade's own configuration schema:
 * every value is given by its configuration key (`aws.cluster`, `limits.maxRunners`, …) and lands in the variable
 * tornade's ENV_VARS (src/config/env.ts) names for that key; the two secrets are named by ARN in the variables
 * tornade's Lambda wiring reads (src/lambda/secrets.ts SECRET_ARN_VARS). A key tornade no longer knows fails the synth
 * here, naming it, instead of deploying a controller that silently ignores a setting.
 */
import { ENV_VARS } from "tornade/config";
import { SECRET_ARN_VARS } from "tornade/lambda/secrets";
import type { Arch } from "./runner-image.js";

/** A configuration value as the environment carries it: lists comma-separated, the rest as text. */
export type EnvValue = string | number | boolean | readonly string[];

/** The variable tornade reads a configuration key from. */
export function envName(key: string): string {
  // aws.region has two (TORNADE_AWS_REGION, and AWS_REGION, which Lambda sets itself); the construct sets neither.
  const v = ENV_VARS.find((e) => e.key === key && e.name !== "AWS_REGION");
  if (v === undefined) {
    throw new Error(
      `@tornade/cdk: the installed tornade reads no environment variable for the setting ${key}. Fix: install the tornade version @tornade/cdk names in its peerDependencies`,
    );
  }
  return v.name;
}

export function envText(value: EnvValue): string {
  return typeof value === "string" ? value : Array.isArray(value) ? value.join(",") : String(value);
}

/** `values` by configuration key (undefined ones left out) as environment variables. */
export function environmentOf(values: Readonly<Record<string, EnvValue | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) env[envName(key)] = envText(value);
  return env;
}

/** The variables naming the secrets by ARN; each function reads only the ones it is given, at cold start. */
export const SECRET_ARN_ENV = { privateKey: SECRET_ARN_VARS.privateKey.arn, webhookSecret: SECRET_ARN_VARS.webhookSecret.arn } as const;
/** The variables the secrets' values land in at cold start (where `tornade serve` reads them from directly). */
export const SECRET_VALUE_ENV = { privateKey: SECRET_ARN_VARS.privateKey.value, webhookSecret: SECRET_ARN_VARS.webhookSecret.value } as const;

/** What the construct itself creates for the runners, by the configuration keys tornade reads them from. */
export interface RunnerResources {
  readonly cluster: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly assignPublicIp: boolean;
  readonly taskDefinitions: Readonly<Record<Arch, string>>;
  readonly containerName: string;
  readonly codebuildProjects: Readonly<Record<Arch, string>>;
  /** undefined: tornade's default (/tornade/jit/). */
  readonly jitParameterPrefix: string | undefined;
  /** undefined: tornade's default (alias/tornade-runner-jitconfig). */
  readonly jitKmsKeyId: string | undefined;
}

export function runnersEnvironment(r: RunnerResources): Record<string, string> {
  return environmentOf({
    "aws.cluster": r.cluster,
    "aws.subnets": r.subnets,
    "aws.securityGroups": r.securityGroups,
    "aws.assignPublicIp": r.assignPublicIp,
    "aws.taskDefinitions.X86_64": r.taskDefinitions.X86_64,
    "aws.taskDefinitions.ARM64": r.taskDefinitions.ARM64,
    "aws.containerName": r.containerName,
    "aws.codebuild.projectX86_64": r.codebuildProjects.X86_64,
    "aws.codebuild.projectARM64": r.codebuildProjects.ARM64,
    "aws.jitConfig.parameterPrefix": r.jitParameterPrefix,
    "aws.jitConfig.kmsKeyId": r.jitKmsKeyId,
  });
}

/** Serverless state: the DynamoDB store and the SQS queue (serverless-controller.ts). */
export function stateEnvironment(s: { readonly table: string; readonly queueUrl: string }): Record<string, string> {
  return environmentOf({ "store.kind": "dynamodb", "store.table": s.table, "queue.kind": "sqs", "queue.url": s.queueUrl });
}
