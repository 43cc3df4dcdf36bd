/**
 * How jobs reach tornade: the intake. One prop, an object with one key per way in — either or both:
 *
 * - `webhooks` (the default): GitHub posts `workflow_job` deliveries to the webhook function's public URL.
 * - `scaleSets`: GitHub's runner scale sets (docs/scale-sets.md). A `tornade serve` container on ECS (scale-set-
 *   service.ts) holds an outbound message session per scale set: no load balancer, no inbound rule, no public
 *   endpoint. With `webhooks: false` the deployment has no inbound at all.
 *
 * The scale sets keep the names of tornade's configuration (`scaleSets.*`), and reach the container in the variables
 * tornade reads for them (TORNADE_SCALE_SETS…); tornade's loadConfig checks them at synth (config-check.ts).
 */
import type { Arch } from "./runner-image.js";
import type { ControllerImageSource } from "./scale-set-service.js";
import { envName, envText } from "./controller-env.js";
import { isPlainObject, type Backend, type Size } from "./settings.js";

/** The public webhook function. */
export interface WebhookIntakeProps {
  /**
   * Concurrent executions reserved for the public webhook function, which are also the most it may run: a flood of
   * requests to its URL cannot take the account's other functions' concurrency, nor run more than this many at once.
   * Default 20 (one execution takes a delivery in tens of milliseconds, so hundreds of deliveries a second; a
   * delivery refused with 429 beyond that is redelivered by the sweep). Lambda keeps 100 of the account's concurrency
   * unreserved, so the account's limit must be at least 100 more than this ("Configuring reserved concurrency").
   */
  readonly reservedConcurrency?: number;
}

/** One runner scale set (tornade's scaleSets.sets entry): what `runs-on` names, the runner its jobs get, its bounds. */
export interface ScaleSetProps {
  /** The scale set's name: a job reaches it with `runs-on: NAME`. Letters, digits, `.`, `_`, `-`. */
  readonly name: string;
  readonly backend: Backend;
  /** Default: defaultArch. */
  readonly arch?: Arch;
  /** A size preset; default the configured default size. */
  readonly size?: Size;
  /** Runners kept idle besides those the assigned jobs need. Default 0. */
  readonly minRunners?: number;
  /** The most runners at once (told to GitHub on every poll). Default 10. */
  readonly maxRunners?: number;
}

/** GitHub's runner scale sets, held by a `tornade serve` service on ECS with no inbound (scale-set-service.ts). */
export interface ScaleSetIntakeProps {
  /** The organization (github.runnerScope org), or the repository's owner. */
  readonly owner: string;
  /** The repository (github.runnerScope repo, the default). */
  readonly repo?: string;
  /** The GitHub App's installation on the owner (its Settings → GitHub Apps → Configure: the number in the URL). */
  readonly installationId: number;
  /** Organization scale sets: the runner group, by name. Default GitHub's Default group. */
  readonly runnerGroup?: string;
  /** The scope's web URL, when github.baseUrl cannot tell it. */
  readonly configUrl?: string;
  /** Seconds between statistics rounds of each scale set. Default 30. */
  readonly intervalSeconds?: number;
  /** Seconds a replica's hold on a scale set's session lasts unrenewed. Default 60. */
  readonly leaseSeconds?: number;
  readonly sets: readonly ScaleSetProps[];
  /**
   * Tasks of the service (its desired count). Default 1. More are safe — each scale set's session is held by one
   * replica at a time, through a lease in the table — and take over within a third of leaseSeconds when it stops.
   */
  readonly replicas?: number;
  /** The controller's image. Default: built at deploy from the installed tornade's version (controller-image/). */
  readonly image?: ControllerImageSource;
}

/** The ways jobs reach tornade; at least one must be on. */
export interface IntakeProps {
  /**
   * GitHub's `workflow_job` webhooks, to the webhook function's public URL (`TornadeRunners.webhookUrl`, the App's
   * webhook URL). Default true: on, with WebhookIntakeProps' defaults. false deploys no webhook function and no URL.
   */
  readonly webhooks?: boolean | WebhookIntakeProps;
  /** GitHub's runner scale sets: outbound sessions from a container with no inbound rule. Default none. */
  readonly scaleSets?: ScaleSetIntakeProps;
}

/** Every key (TypeScript makes these lists complete); a key that is not here is reported. */
const INTAKE_KEYS: Readonly<Record<keyof IntakeProps, true>> = { webhooks: true, scaleSets: true };
const WEBHOOK_KEYS: Readonly<Record<keyof WebhookIntakeProps, true>> = { reservedConcurrency: true };
const SCALE_SET_INTAKE_KEYS: Readonly<Record<keyof ScaleSetIntakeProps, true>> = {
  owner: true,
  repo: true,
  installationId: true,
  runnerGroup: true,
  configUrl: true,
  intervalSeconds: true,
  leaseSeconds: true,
  sets: true,
  replicas: true,
  image: true,
};
const SET_KEYS: Readonly<Record<keyof ScaleSetProps, true>> = { name: true, backend: true, arch: true, size: true, minRunners: true, maxRunners: true };

/** Keys of tornade's scaleSets.sets entries the construct cannot deploy, and why. */
const NOT_SET_KEYS: Readonly<Record<string, string>> = {
  labels:
    "extra labels are not deployed by the construct: the container takes its scale sets from TORNADE_SCALE_SETS, whose form has no labels. Fix: remove it; jobs name the scale set (runs-on: NAME)",
  image: "an image catalog (image=NAME) is not deployed by the construct. Fix: remove it; the scale set's runners run runnerImage",
};

/** The settings of the scale-set intake that are tornade's scaleSets.* keys, given as they are. */
const PASSED_KEYS = ["owner", "repo", "installationId", "runnerGroup", "configUrl", "intervalSeconds", "leaseSeconds"] as const;

/** TORNADE_SCALE_SETS' separators: a value holding one would split into another entry. */
const SEPARATORS = /[,=/:\s]/;

export const DEFAULT_WEBHOOK_CONCURRENCY = 20;
/** tornade's own defaults (src/config/schema.ts ScaleSetEntrySchema), written out when only one bound is given. */
const DEFAULT_BOUNDS = { minRunners: 0, maxRunners: 10 } as const;

/** The intake as the construct deploys it (checked props): the webhook function's settings when on, the scale sets when on. */
export function intakeOf(intake: IntakeProps | undefined): { webhooks: Required<WebhookIntakeProps> | undefined; scaleSets: ScaleSetIntakeProps | undefined } {
  const webhooks = intake?.webhooks;
  const own = typeof webhooks === "object" ? webhooks : {};
  return {
    webhooks: webhooks === false ? undefined : { reservedConcurrency: own.reservedConcurrency ?? DEFAULT_WEBHOOK_CONCURRENCY },
    scaleSets: intake?.scaleSets,
  };
}

/**
 * The scale-set container's intake configuration, in the variables tornade reads: scale sets only (the webhook
 * function, when on, takes the webhooks), each set in TORNADE_SCALE_SETS' form NAME=BACKEND[/ARCH[/SIZE]][:MIN-MAX].
 */
export function scaleSetEnvironment(s: ScaleSetIntakeProps, defaultArch: string): Record<string, string> {
  const env: Record<string, string> = { [envName("intake")]: "scale-sets", [envName("scaleSets.sets")]: s.sets.map((set) => setShorthand(set, defaultArch)).join(",") };
  for (const key of PASSED_KEYS) {
    const value = s[key];
    if (value !== undefined) env[envName(`scaleSets.${key}`)] = envText(value);
  }
  return env;
}

function setShorthand(set: ScaleSetProps, defaultArch: string): string {
  // SIZE follows ARCH in the form: a size without an arch names the default one.
  const arch = set.arch ?? (set.size === undefined ? undefined : defaultArch);
  const shape = [set.backend, arch, set.size].filter((p) => p !== undefined).join("/");
  const bounded = set.minRunners !== undefined || set.maxRunners !== undefined;
  const bounds = bounded ? `:${set.minRunners ?? DEFAULT_BOUNDS.minRunners}-${set.maxRunners ?? DEFAULT_BOUNDS.maxRunners}` : "";
  return `${set.name}=${shape}${bounds}`;
}

/** What is wrong with `intake`, each problem naming the prop and the fix. */
export function intakeProblems(intake: unknown): string[] {
  if (intake === undefined) return [];
  if (!isPlainObject(intake)) {
    return [`intake: must be an object naming the ways in, e.g. { webhooks: true } (the default), got ${typeof intake === "string" ? `"${intake}"` : typeof intake}. Fix: leave it out, or { webhooks: { reservedConcurrency: 20 } }`];
  }
  const problems = unknownKeys("intake", intake, INTAKE_KEYS, "not a way in");
  const { webhooks, scaleSets } = intake;
  if (webhooks === false && scaleSets === undefined) {
    problems.push("intake.webhooks: false leaves jobs no way in. Fix: leave intake.webhooks out (or true), or add intake.scaleSets (no public endpoint at all)");
  } else if (isPlainObject(webhooks)) {
    problems.push(...unknownKeys("intake.webhooks", webhooks, WEBHOOK_KEYS, "not a setting of the webhook intake"));
    const c = webhooks["reservedConcurrency"];
    // 0 is valid for Lambda, and stops the function altogether.
    if (c !== undefined && !isWhole(c, 1)) {
      problems.push(`intake.webhooks.reservedConcurrency: ${String(c)} leaves the webhook no way in (it must be a whole number of at least 1). Fix: leave it out for ${DEFAULT_WEBHOOK_CONCURRENCY}`);
    }
  } else if (webhooks !== undefined && typeof webhooks !== "boolean") {
    problems.push(`intake.webhooks: must be true, false or { reservedConcurrency }, got ${typeof webhooks}. Fix: leave it out (on)`);
  }
  if (scaleSets !== undefined) problems.push(...scaleSetProblems(scaleSets));
  return problems;
}

/**
 * The scale-set intake's own shape. The values tornade knows (owner, repo, installation, backends, bounds, the sum of
 * minimums under limits.maxRunners …) are tornade's loadConfig's to judge, over the container's environment.
 */
function scaleSetProblems(s: unknown): string[] {
  const at = "intake.scaleSets";
  if (!isPlainObject(s)) return [`${at}: must be an object, e.g. { owner: "my-org", installationId: 12345678, sets: [{ name: "linux-x64", backend: "FARGATE_SPOT" }] }`];
  const problems = unknownKeys(at, s, SCALE_SET_INTAKE_KEYS, "not a setting of the scale-set intake");
  for (const key of PASSED_KEYS) {
    const v = s[key];
    if (v !== undefined && typeof v !== "string" && typeof v !== "number") problems.push(`${at}.${key}: must be ${key === "installationId" || key.endsWith("Seconds") ? "a number" : "text"}, got ${typeof v}`);
  }
  const replicas = s["replicas"];
  if (replicas !== undefined && !isWhole(replicas, 1)) {
    problems.push(`${at}.replicas: ${String(replicas)} must be a whole number of at least 1 (0 would hold no session: no job would come in). Fix: leave it out for 1`);
  }
  const sets = s["sets"];
  if (!Array.isArray(sets) || sets.length === 0) {
    problems.push(`${at}.sets: ${sets === undefined ? "missing" : "must be a non-empty list"}; the scale sets jobs name in runs-on. Fix: e.g. sets: [{ name: "linux-x64", backend: "FARGATE_SPOT", maxRunners: 20 }]`);
    return problems;
  }
  sets.forEach((set: unknown, i) => {
    const where = `${at}.sets.${i}`;
    if (!isPlainObject(set)) {
      problems.push(`${where}: must be an object { name, backend, arch?, size?, minRunners?, maxRunners? }`);
      return;
    }
    for (const key of Object.keys(set)) {
      if (Object.hasOwn(SET_KEYS, key)) continue;
      problems.push(`${where}.${key}: ${NOT_SET_KEYS[key] ?? `not a setting of a scale set. Fix: remove it or correct its spelling (${Object.keys(SET_KEYS).join(", ")})`}`);
    }
    for (const key of ["name", "backend", "arch", "size"] as const) {
      const v = set[key];
      if (v === undefined && (key === "arch" || key === "size")) continue;
      if (typeof v !== "string" || v === "" || SEPARATORS.test(v)) {
        problems.push(`${where}.${key}: ${v === undefined ? "missing" : `${JSON.stringify(v)} must be text without spaces or any of , = / :`}${key === "name" ? "; what a job's runs-on names" : ""}`);
      }
    }
    for (const key of ["minRunners", "maxRunners"] as const) {
      const v = set[key];
      if (v !== undefined && !isWhole(v, 0)) problems.push(`${where}.${key}: ${String(v)} must be a whole number. Fix: leave it out for ${DEFAULT_BOUNDS[key]}`);
    }
  });
  return problems;
}

function unknownKeys(at: string, o: Record<string, unknown>, known: Readonly<Record<string, true>>, what: string): string[] {
  return Object.keys(o)
    .filter((k) => !Object.hasOwn(known, k))
    .map((k) => `${at}.${k}: ${what}. Fix: remove it or correct its spelling (${Object.keys(known).join(", ")})`);
}

function isWhole(v: unknown, min: number): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= min;
}
