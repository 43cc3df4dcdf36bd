/**
 * Synth-time checks of the props that shape the AWS resources the construct declares (network, runner image,
 * CodeBuild projects, queue, logs, code): each problem names the prop and the fix, in AWS's published limits.
 */
import { aws_logs as logs, Duration, Token } from "aws-cdk-lib";
import type { Config } from "tornade/config";
import { runnerSubnets } from "./network.js";
import { HANDLERS } from "./tornade-package.js";
import type { Size } from "./settings.js";
import type { TornadeRunnersProps } from "./tornade-runners.js";

/**
 * The compute type of each size tornade's CodeBuild provider asks for (tornade's src/providers/codebuild.ts
 * CODEBUILD_COMPUTE_TYPES, smallest first; infra/test/props-check.test.ts holds the two equal).
 */
export const CODEBUILD_SIZES: Readonly<Record<Size, string>> = {
  small: "BUILD_GENERAL1_SMALL",
  medium: "BUILD_GENERAL1_MEDIUM",
  large: "BUILD_GENERAL1_LARGE",
  xlarge: "BUILD_GENERAL1_XLARGE",
  "2xlarge": "BUILD_GENERAL1_2XLARGE",
};

/** CodeBuild's build timeout: 5 to 2160 minutes ("CreateProject", AWS CodeBuild API Reference, timeoutInMinutes). */
const CODEBUILD_TIMEOUT = { min: Duration.minutes(5), max: Duration.hours(36) };
const CODEBUILD_KEYS = new Set(["computeType", "timeout", "privileged"]);

/** SQS redrive: maxReceiveCount 1–1000 ("RedrivePolicy", Amazon SQS API Reference). */
const MAX_RECEIVE_COUNT = 1000;

/** An ECR image tag (128 characters of letters, digits, `_`, `.`, `-`, not first `.`/`-`) or a sha256 digest. */
const TAG_OR_DIGEST = /^(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})$/;

export function resourceProblems(props: TornadeRunnersProps): string[] {
  return [...networkProblems(props), ...runnerImageProblems(props), ...codebuildShapeProblems(props), ...operationsProblems(props)];
}

function networkProblems(props: TornadeRunnersProps): string[] {
  const problems: string[] = [];
  if (props.securityGroups !== undefined && props.securityGroups.length === 0) {
    problems.push("securityGroups: an empty list. Fix: leave it out for a new group with no inbound rule, or give at least one");
  }
  if (props.vpc === undefined) {
    if (props.assignPublicIp === false) {
      problems.push(
        "assignPublicIp: false with the VPC this construct creates (public subnets, no NAT gateway) leaves runner tasks no route to GitHub. Fix: leave it out, or give vpc and subnets with a NAT gateway or VPC endpoints",
      );
    }
    return problems;
  }
  let ids: string[];
  try {
    ids = props.vpc.selectSubnets(props.subnets ?? runnerSubnets(false)).subnetIds;
  } catch (e) {
    // aws-cdk-lib's words, e.g. "There are no 'Private' subnet groups in this VPC. Available types: Public".
    const said = (e as Error).message.split("\n")[0] ?? "";
    problems.push(
      `${props.subnets === undefined ? "subnets (default: the private subnets of vpc)" : "subnets"}: ${said}. Fix: give subnets selecting where runner tasks go, e.g. { subnetType: SubnetType.PUBLIC } with assignPublicIp: true`,
    );
    return problems;
  }
  if (ids.length === 0) {
    problems.push("subnets: selects no subnet of vpc, so no runner task could start. Fix: select at least one subnet");
    return problems;
  }
  const publicIds = new Set(props.vpc.publicSubnets.map((s) => s.subnetId));
  if (props.assignPublicIp !== true && ids.every((id) => publicIds.has(id))) {
    problems.push(
      "assignPublicIp: runner tasks go into public subnets without a public IP, which leaves them no route to GitHub (a public subnet has no NAT gateway). Fix: assignPublicIp: true, or subnets with a NAT gateway or VPC endpoints",
    );
  }
  return problems;
}

function runnerImageProblems(props: TornadeRunnersProps): string[] {
  const scaleSets = props.intake?.scaleSets as unknown;
  const controllerImage = typeof scaleSets === "object" && scaleSets !== null ? (scaleSets as { image?: unknown }).image : undefined;
  return [...imageSourceProblems("runnerImage", props.runnerImage, "the runner image"), ...imageSourceProblems("intake.scaleSets.image", controllerImage, "the controller image")];
}

/** An image source prop: built at deploy ("asset"), or an image in ECR by tag or digest. */
function imageSourceProblems(prop: string, image: unknown, what: string): string[] {
  if (image === undefined) return [];
  const kind = (image as { kind?: unknown } | null)?.kind;
  if (kind === "asset") return [];
  if (kind === "ecr") {
    const { repository, tagOrDigest } = image as { repository?: unknown; tagOrDigest?: unknown };
    const problems: string[] = [];
    if (typeof repository !== "object" || repository === null) problems.push(`${prop}.repository: missing; the ECR repository holding ${what} (ecr.Repository.fromRepositoryName(…))`);
    if (typeof tagOrDigest !== "string" || tagOrDigest.trim() === "") {
      problems.push(`${prop}.tagOrDigest: missing; the image's tag or sha256: digest, e.g. 2.334.0`);
    } else if (!Token.isUnresolved(tagOrDigest) && !TAG_OR_DIGEST.test(tagOrDigest)) {
      problems.push(`${prop}.tagOrDigest: "${tagOrDigest}" is neither an image tag (letters, digits, _ . -, at most 128) nor a sha256:<64 hex> digest. Fix: e.g. 2.334.0`);
    }
    return problems;
  }
  return [`${prop}: kind must be "asset" (build ${what} at deploy, the default) or "ecr" (an image you pushed)`];
}

/** The codebuild prop's own shape: keys and timeout (its compute type is checked against tornade's ceilings below). */
function codebuildShapeProblems(props: TornadeRunnersProps): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(props.codebuild ?? {})) {
    if (!CODEBUILD_KEYS.has(key)) problems.push(`codebuild.${key}: not a prop of the CodeBuild runners. Fix: remove it or correct its spelling (${[...CODEBUILD_KEYS].join(", ")})`);
  }
  const timeout = props.codebuild?.timeout;
  if (timeout !== undefined && !timeout.isUnresolved()) {
    const minutes = timeout.toMinutes({ integral: false });
    if (!(minutes >= CODEBUILD_TIMEOUT.min.toMinutes() && minutes <= CODEBUILD_TIMEOUT.max.toMinutes() && Number.isInteger(minutes))) {
      problems.push(`codebuild.timeout: ${timeout.toHumanString()} is outside CodeBuild's 5 minutes to 36 hours in whole minutes. Fix: e.g. Duration.hours(6) (the default)`);
    }
  }
  return problems;
}

/**
 * The projects' compute type is the size of every CodeBuild job that names no size=: it must be one tornade's
 * CodeBuild runners use (Lambda compute runs no Docker and no privileged mode; the others are not sizes tornade
 * knows), and within the cost ceiling limits.maxCodeBuildSize, or those jobs would run above the ceiling unasked.
 */
export function computeTypeProblems(props: TornadeRunnersProps, config: Config): string[] {
  const type = props.codebuild?.computeType as string | undefined;
  if (type === undefined || Token.isUnresolved(type)) return [];
  const sizes = Object.keys(CODEBUILD_SIZES) as Size[];
  const size = sizes.find((s) => CODEBUILD_SIZES[s] === type);
  if (size === undefined) {
    return [`codebuild.computeType: ${type} is not a compute type tornade's CodeBuild runners run on. Fix: one of ComputeType.SMALL, MEDIUM, LARGE, X_LARGE, X2_LARGE (${Object.values(CODEBUILD_SIZES).join(", ")})`];
  }
  const ceiling = config.limits.maxCodeBuildSize;
  if (config.defaults.size === undefined && sizes.indexOf(size) > sizes.indexOf(ceiling)) {
    return [
      `codebuild.computeType: ${type} (size ${size}) is over limits.maxCodeBuildSize (${ceiling}), and every CodeBuild job naming no size= would run on it. Fix: ${CODEBUILD_SIZES[ceiling]} or smaller, or raise limits.maxCodeBuildSize to ${size}`,
    ];
  }
  return [];
}

function operationsProblems(props: TornadeRunnersProps): string[] {
  const problems: string[] = [];
  if (props.maxReceiveCount !== undefined && !isWhole(props.maxReceiveCount, 1, MAX_RECEIVE_COUNT)) {
    problems.push(`maxReceiveCount: ${String(props.maxReceiveCount)} must be a whole number from 1 to ${MAX_RECEIVE_COUNT} (SQS's redrive policy); default 50`);
  }
  if (props.launchFailureAlarmThreshold !== undefined && !isWhole(props.launchFailureAlarmThreshold, 1, Number.MAX_SAFE_INTEGER)) {
    problems.push(`launchFailureAlarmThreshold: ${String(props.launchFailureAlarmThreshold)} must be a whole number of at least 1; default 3`);
  }
  if (props.logRetention !== undefined && !(Object.values(logs.RetentionDays) as unknown[]).includes(props.logRetention)) {
    problems.push(`logRetention: ${String(props.logRetention)} is not a retention CloudWatch Logs offers. Fix: a logs.RetentionDays value, e.g. RetentionDays.ONE_MONTH (the default)`);
  }
  for (const name of Object.keys(props.controllerCode ?? {})) {
    if (!(HANDLERS as readonly string[]).includes(name)) problems.push(`controllerCode.${name}: not one of tornade's functions. Fix: one of ${HANDLERS.join(", ")}`);
  }
  // Code for a function the intake does not deploy would be silently unused.
  if (props.controllerCode?.webhook !== undefined && props.intake?.webhooks === false) {
    problems.push("controllerCode.webhook: intake.webhooks is false, so there is no webhook function. Fix: remove it");
  }
  if (props.controllerCode?.worker !== undefined && props.intake?.scaleSets !== undefined) {
    problems.push("controllerCode.worker: with intake.scaleSets the scale-set controller consumes the work queue and no worker function is deployed. Fix: remove it");
  }
  const jit = props.jitConfig as unknown;
  if (jit !== undefined && (typeof jit !== "object" || jit === null || Object.keys(jit).some((k) => k !== "parameterPrefix"))) {
    problems.push("jitConfig: takes only { parameterPrefix } (tornade's aws.jitConfig.parameterPrefix; the key is the construct's own)");
  }
  return problems;
}

function isWhole(v: unknown, min: number, max: number): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}
