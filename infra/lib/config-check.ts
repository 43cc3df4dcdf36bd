/**
 * The props checked by tornade itself: the controller's whole environment, as the construct will set it, goes through
 * tornade's loadConfig at synth — the same schema and cross-field checks (Fargate sizes from tornade's own table,
 * cost ceilings, runner-group scope, …) `tornade serve` and the functions run at start. A configuration the deployed
 * controller would refuse is refused here, before anything deploys, in tornade's words with the prop's name.
 *
 * What only exists after deploy stands in: the resources' names (CloudFormation fills them in), the secrets' values
 * (read at cold start; a fresh throwaway key stands in for the App's, since tornade checks the key parses).
 */
import { generateKeyPairSync } from "node:crypto";
import { ConfigError, loadConfig, type Config } from "tornade/config";
import { runnersEnvironment, SECRET_VALUE_ENV, stateEnvironment } from "./controller-env.js";

/** Names for what the deploy creates; only their form matters to tornade's checks. */
const STAND_INS = {
  cluster: "tornade-runners",
  subnets: ["subnet-0stand0in"],
  securityGroups: ["sg-0stand0in"],
  taskDefinitions: { X86_64: "tornade-runner-x86_64", ARM64: "tornade-runner-arm64" },
  containerName: "runner",
  codebuildProjects: { X86_64: "tornade-runner-x86_64", ARM64: "tornade-runner-arm64" },
  table: "tornade-state",
  queueUrl: "https://sqs.us-east-1.amazonaws.com/000000000000/tornade-work",
} as const;

export interface ConfigCheckInput {
  /** The settings' environment (settings.ts). */
  readonly settingsEnv: Record<string, string>;
  /** The choices that land in the runners' part of the environment. */
  readonly assignPublicIp: boolean;
  /** undefined: tornade's default. */
  readonly jitParameterPrefix: string | undefined;
  /** The stack's region, when known at synth. */
  readonly region: string | undefined;
  /** The scale-set container's intake variables (intake.ts scaleSetEnvironment), checked on top of the rest. */
  readonly intakeEnv?: Record<string, string>;
}

/** The props whose path is not their configuration key; the settings' paths are their keys (settings.ts). */
const PROP_OF: Readonly<Record<string, string>> = {
  "aws.assignPublicIp": "assignPublicIp",
  "aws.jitConfig.parameterPrefix": "jitConfig.parameterPrefix",
};

/**
 * The configuration the deployed controller will load (with stand-ins for the deploy's names), or every problem
 * tornade finds, each naming the prop.
 */
export function checkWithTornade(input: ConfigCheckInput): { config?: Config; problems: string[] } {
  const env: NodeJS.ProcessEnv = {
    // The key's id is the construct's own; unset, tornade's default names the alias the construct gives the key.
    ...runnersEnvironment({ ...STAND_INS, assignPublicIp: input.assignPublicIp, jitParameterPrefix: input.jitParameterPrefix, jitKmsKeyId: undefined }),
    ...stateEnvironment(STAND_INS),
    ...input.settingsEnv,
    ...input.intakeEnv,
    [SECRET_VALUE_ENV.privateKey]: throwawayKey(),
    [SECRET_VALUE_ENV.webhookSecret]: "stand-in",
    // Lambda sets AWS_REGION itself.
    AWS_REGION: input.region ?? "us-east-1",
  };
  try {
    return { config: loadConfig(env, undefined, { cwd: "/" }), problems: [] };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { problems: e.problems.flatMap((p) => p.split("\n  - ")).map(inPropTerms) };
  }
}

/**
 * "TORNADE_MAX_RUNNERS (limits.maxRunners): …" → "limits.maxRunners: …": the user wrote a prop, not a variable; and
 * tornade's scaleSets.* are the props intake.scaleSets.* (intake.ts).
 */
function inPropTerms(problem: string): string {
  const m = /^([A-Z][A-Z0-9_]*) \(([^)]+)\): /.exec(problem);
  // A key no variable set (a missing one) comes bare: "scaleSets.repo: missing; …".
  if (!m) return /^scaleSets[.:]/.test(problem) ? `intake.${problem}` : problem;
  const [whole, , key = ""] = m;
  const prop = PROP_OF[key] ?? (key === "scaleSets" || key.startsWith("scaleSets.") ? `intake.${key}` : key);
  return `${prop}: ${problem.slice(whole.length)}`;
}

let key: string | undefined;

/** A parseable private key, made once per synth and never written anywhere: the real one is in Secrets Manager. */
function throwawayKey(): string {
  key ??= generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return key;
}
