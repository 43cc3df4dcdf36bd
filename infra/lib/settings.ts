/**
 * tornade's settings as the construct takes them: the names, meanings and defaults of tornade's configuration (the
 * file keys of README's "Configuration reference"), so a team moving from `tornade serve` to the construct, or back,
 * writes the same words. The construct hands each one to its controller in the environment variable tornade reads
 * for that key (controller-env.ts), and checks them with tornade's own loadConfig at synth (config-check.ts).
 *
 * What is not here on purpose: the keys naming AWS resources the construct creates (aws.cluster, aws.subnets, task
 * definitions, projects, store, queue), the listeners (the functions have none), and what the serverless controller
 * does not run (the static pool, the cost prices, the sandbox): props-check.ts says so when one is given.
 */
import type { aws_secretsmanager as sm } from "aws-cdk-lib";
import type { Arch } from "./runner-image.js";
import { envName, envText, type EnvValue } from "./controller-env.js";

export type Backend = "FARGATE" | "FARGATE_SPOT" | "CODEBUILD";
export type Size = "small" | "medium" | "large" | "xlarge" | "2xlarge";

export interface GitHubSettings {
  /** The GitHub App's ID (its settings page, "App ID"). Required. */
  readonly appId: number;
  /**
   * The App's private key (PEM) in Secrets Manager. Default: a new secret, empty until you put the PEM in it after
   * the first deploy (docs/deploy-aws.md). A secret, never text: the functions read it at cold start.
   */
  readonly privateKey?: sm.ISecret;
  /**
   * The App's webhook secret in Secrets Manager. Default: a new, generated one whose value you paste into the App's
   * settings. A secret, never text.
   */
  readonly webhookSecret?: sm.ISecret;
  /** GitHub's API: https://HOST/api/v3 for GitHub Enterprise Server. Default https://api.github.com. */
  readonly baseUrl?: string;
  /** Where runners register: "repo" (default) or "org". */
  readonly runnerScope?: "repo" | "org";
  /**
   * The runner group organization runners join. Default 1, the Default group, open to every repository of the
   * organization: with an allow-list it must be a group restricted to the allowed repositories (docs/security.md,
   * "Scope"), and synth refuses otherwise.
   */
  readonly runnerGroupId?: number;
  /** Only these owner/repo get runners. Default: every repository the App is installed on. */
  readonly allowedRepositories?: readonly string[];
  /** Only repositories of these owners get runners. Default: all. */
  readonly allowedOrganizations?: readonly string[];
  /** Also serve public repositories (a fork's pull request then reaches a runner). Default false. */
  readonly allowPublicRepositories?: boolean;
}

/** For jobs naming no size. Also the size the runner task definitions declare. */
export interface DefaultsSettings {
  /** Fargate vCPU: 0.25, 0.5, 1, 2, 4, 8 or 16. Default: the task definition's 1 vCPU. */
  readonly cpu?: number;
  /** Fargate memory in MiB, a combination Fargate runs with cpu. Default: the smallest for cpu (2048 with 1 vCPU). */
  readonly memory?: number;
  /** Fargate ephemeral storage, 21–200 GiB. Default 21. */
  readonly disk?: number;
  /** A size preset (on CodeBuild the compute type); not with cpu/memory. */
  readonly size?: Size;
}

/** Cost ceilings (tornade's src/core/ceilings.ts argues each default). */
export interface LimitsSettings {
  /** Runners at once, all backends; jobs beyond wait in order. Default 50. */
  readonly maxRunners?: number;
  /** Runners at once per backend. Default: only maxRunners. */
  readonly perBackend?: Partial<Record<Backend, number>>;
  /** Most vCPU one Fargate runner may ask for. Default 8. */
  readonly maxCpu?: number;
  /** Most memory (MiB) one Fargate runner may ask for. Default 32768. */
  readonly maxMemory?: number;
  /** Most Fargate ephemeral storage (GiB) one runner may ask for. Default 100. */
  readonly maxDisk?: number;
  /** Largest CodeBuild size a job may ask for. Default large. */
  readonly maxCodeBuildSize?: Size;
}

/** Retries and fallbacks of launches. */
export interface LaunchSettings {
  /** Launch attempts per job before giving up with a visible reason. Default 5. */
  readonly maxAttempts?: number;
  /** FARGATE_SPOT without capacity falls back to FARGATE. Default true. */
  readonly spotFallback?: boolean;
  /** A launch unanswered this long (a crash mid-launch) is replaced. Default 120. */
  readonly inFlightTimeoutSeconds?: number;
  /** A runner not running this long after launch is stopped and replaced. Default 600. */
  readonly bootTimeoutSeconds?: number;
  /** A runner idle this long after its job ran elsewhere is stopped. Default 300. */
  readonly idleTimeoutSeconds?: number;
  /** A job first heard of this long after GitHub created it is confirmed queued before its first launch. Default 300. */
  readonly confirmOlderThanSeconds?: number;
  /** Re-run once a job whose Spot runner was interrupted. Default true. */
  readonly spotRerun?: boolean;
  /** The backend of that re-run: FARGATE (default), FARGATE_SPOT, CODEBUILD or "same". */
  readonly rerunBackend?: Backend | "same";
}

export interface SweeperSettings {
  /** Seconds between sweeps (the sweep function's schedule): whole minutes, since EventBridge schedules are. Default 60. */
  readonly intervalSeconds?: number;
  /** GitHub calls a sweep may spend finding queued jobs no webhook brought. Default 10; 0 turns it off. */
  readonly discoveryBudget?: number;
}

/** tornade's settings, named as in its configuration. */
export interface TornadeSettings {
  readonly github: GitHubSettings;
  /** The label every tornade job carries besides self-hosted. Default "tornade". */
  readonly launchLabel?: string;
  /** Backend for jobs without runs-on=. Default FARGATE. */
  readonly defaultBackend?: Backend;
  /** CPU architecture for jobs without arch=. Default X86_64. */
  readonly defaultArch?: Arch;
  readonly defaults?: DefaultsSettings;
  readonly limits?: LimitsSettings;
  readonly launch?: LaunchSettings;
  readonly sweeper?: SweeperSettings;
  /**
   * The least severe line the controller logs (to CloudWatch Logs): "trace", "debug", "info" (default), "warn" or
   * "error". At info a job costs two lines (its runner launched and stopped); debug adds each delivery taken in.
   */
  readonly logLevel?: "trace" | "debug" | "info" | "warn" | "error";
}

/** The configuration keys the settings set, each a path of TornadeSettings. */
export const SETTING_KEYS: readonly string[] = [
  "launchLabel",
  "defaultBackend",
  "defaultArch",
  "defaults.cpu",
  "defaults.memory",
  "defaults.disk",
  "defaults.size",
  "github.appId",
  "github.baseUrl",
  "github.runnerScope",
  "github.runnerGroupId",
  "github.allowedRepositories",
  "github.allowedOrganizations",
  "github.allowPublicRepositories",
  "limits.maxRunners",
  "limits.perBackend.FARGATE",
  "limits.perBackend.FARGATE_SPOT",
  "limits.perBackend.CODEBUILD",
  "limits.maxCpu",
  "limits.maxMemory",
  "limits.maxDisk",
  "limits.maxCodeBuildSize",
  "launch.maxAttempts",
  "launch.spotFallback",
  "launch.inFlightTimeoutSeconds",
  "launch.bootTimeoutSeconds",
  "launch.idleTimeoutSeconds",
  "launch.confirmOlderThanSeconds",
  "launch.spotRerun",
  "launch.rerunBackend",
  "sweeper.intervalSeconds",
  "sweeper.discoveryBudget",
  "logLevel",
];

/** The settings that are secrets: named by ARN (controller-env.ts SECRET_ARN_ENV), never given as values. */
export const SECRET_SETTINGS = ["github.privateKey", "github.webhookSecret"] as const;

/** The sections of TornadeSettings (objects whose keys are settings). */
const SECTIONS = new Set(SETTING_KEYS.flatMap((k) => k.split(".").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("."))));

/** An object literal (not an array, a construct, a Duration, …). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isEnvValue(v: unknown): v is EnvValue {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" || (Array.isArray(v) && v.every((x) => typeof x === "string"));
}

/**
 * The settings present in `settings` as environment variables, and what is wrong with their shape: a key that is not a
 * setting, a section that is not an object, a value that is no text, number, boolean or list of text. Whether a value
 * is valid is tornade's loadConfig's to say (config-check.ts).
 */
export function settingsEnvironment(settings: TornadeSettings): { env: Record<string, string>; problems: string[] } {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  const visit = (value: unknown, path: string): void => {
    if (value === undefined) return;
    if (SECTIONS.has(path)) {
      if (!isPlainObject(value)) problems.push(`${path}: must be an object of settings (${keysUnder(path)})`);
      else for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`);
      return;
    }
    if ((SECRET_SETTINGS as readonly string[]).includes(path)) return;
    if (!SETTING_KEYS.includes(path)) {
      problems.push(`${path}: not a setting of ${path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "tornade"}. Fix: remove it or correct its spelling (${keysUnder(path.slice(0, Math.max(0, path.lastIndexOf("."))))})`);
      return;
    }
    if (!isEnvValue(value)) {
      problems.push(`${path}: must be a ${Array.isArray(value) ? "list of text" : "number, text or boolean"}, got ${describe(value)}`);
      return;
    }
    env[envName(path)] = envText(value);
  };
  for (const [k, v] of Object.entries(settings)) if (SECTIONS.has(k) || SETTING_KEYS.includes(k)) visit(v, k);
  return { env, problems };
}

/** The settings directly under `section` ("" = the top level), for a message. */
function keysUnder(section: string): string {
  const prefix = section === "" ? "" : `${section}.`;
  const names = new Set(
    [...SETTING_KEYS, ...SECRET_SETTINGS].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length).split(".")[0] ?? ""),
  );
  return [...names].join(", ");
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list with a non-text item";
  return typeof v === "object" ? `an object (${v.constructor?.name ?? "Object"})` : typeof v;
}
