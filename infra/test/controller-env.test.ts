/**
 * One source for settings (issue 16): the environment the construct gives the functions, read off the synthesized
 * template, holds only variables tornade reads (its ENV_VARS, the secrets' ARN variables of its Lambda wiring, and
 * what Node and the secrets extension read), and loads through tornade's own loadConfig — as each deployed function
 * loads it — into exactly the settings the props gave.
 */
import { generateKeyPairSync } from "node:crypto";
import { ENV_VARS, loadConfig, SERVE_NODE_OPTIONS, type Config } from "tornade/config";
import { SECRET_ARN_VARS } from "tornade/lambda/secrets";
import { describe, expect, it } from "vitest";
import { getPath } from "../../src/config/env.js";
import { HANDLERS, type HandlerName } from "../lib/tornade-package.js";
import { SETTING_KEYS, type TornadeSettings } from "../lib/settings.js";
import { deployed, synthesize } from "./template.js";

/** Every setting the construct takes, each away from tornade's default. */
const EVERY_SETTING = {
  github: {
    appId: 31337,
    baseUrl: "https://github.example.com/api/v3",
    runnerScope: "org",
    runnerGroupId: 9,
    allowedRepositories: ["acme/app", "acme/lib"],
    allowedOrganizations: ["acme"],
    allowPublicRepositories: true,
  },
  launchLabel: "fast",
  defaultBackend: "FARGATE_SPOT",
  defaultArch: "ARM64",
  defaults: { cpu: 2, memory: 8192, disk: 50 },
  limits: { maxRunners: 17, perBackend: { FARGATE: 5, FARGATE_SPOT: 6, CODEBUILD: 7 }, maxCpu: 4, maxMemory: 16384, maxDisk: 60, maxCodeBuildSize: "medium" },
  launch: {
    maxAttempts: 3,
    spotFallback: false,
    inFlightTimeoutSeconds: 90,
    bootTimeoutSeconds: 500,
    idleTimeoutSeconds: 200,
    confirmOlderThanSeconds: 60,
    spotRerun: false,
    rerunBackend: "CODEBUILD",
  },
  sweeper: { intervalSeconds: 120, discoveryBudget: 3 },
  logLevel: "debug",
} satisfies TornadeSettings;
/** And the one setting that excludes others (a size preset instead of defaults.cpu/memory). */
const A_PRESET = { github: { appId: 7 }, defaults: { size: "medium" } } satisfies TornadeSettings;

function leaves(o: object, prefix = ""): [string, unknown][] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? leaves(v as object, `${prefix}${k}.`) : [[`${prefix}${k}`, v] as [string, unknown]],
  );
}

/** Read by Node (NODE_OPTIONS) and by the Parameters and Secrets extension the functions carry, not by tornade. */
const RUNTIME_VARS = /^(NODE_OPTIONS|PARAMETERS_SECRETS_EXTENSION_[A-Z_]+|SSM_PARAMETER_STORE_[A-Z_]+|SECRETS_MANAGER_[A-Z_]+)$/;

type Resources = Record<string, { Type: string; Properties: { Environment?: { Variables: Record<string, unknown> } } }>;

/** Each function's environment in the template of a stack synthesized from `settings`. */
function functionEnvironments(settings: TornadeSettings): {
  resources: Resources;
  of: (name: (typeof HANDLERS)[number]) => Record<string, unknown>;
  container: Record<string, unknown>;
} {
  const { stack, tornade, template } = synthesize(settings);
  const resources = template.toJSON().Resources as Resources;
  return {
    resources,
    container: stack.resolve(tornade.controllerEnvironment) as Record<string, unknown>,
    of: (name) => {
      const id = stack.resolve((tornade.controller.deployed(name).fn.node.defaultChild as unknown as { logicalId: string }).logicalId) as string;
      return resources[id]?.Properties.Environment?.Variables ?? {};
    },
  };
}

const every = functionEnvironments(EVERY_SETTING);
const environmentOf = every.of;

/** The environment as the function sees it after cold start: intrinsics filled in, the secrets read by ARN. */
function atColdStart(env: Record<string, unknown>, resources: Resources = every.resources): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { AWS_REGION: "eu-west-1" };
  for (const [k, v] of Object.entries(env)) out[k] = deployed(v, resources);
  for (const { arn, value } of Object.values(SECRET_ARN_VARS)) {
    if (out[arn] === undefined) continue;
    out[value] = value === SECRET_ARN_VARS.privateKey.value ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString() : "a webhook secret";
  }
  return out;
}

/**
 * A function's configuration as src/lambda/wiring.ts loads it: the webhook and events functions need no GitHub
 * credentials (partial), the worker and sweep no webhook secret (they verify no delivery).
 */
function loadAs(name: HandlerName, env: NodeJS.ProcessEnv): Config {
  return loadConfig(env, undefined, name === "webhook" || name === "events" ? { partial: true } : { verifiesDeliveries: false });
}

describe("the functions' environment", () => {
  const known = new Set([...ENV_VARS.map((v) => v.name), ...Object.values(SECRET_ARN_VARS).map((v) => v.arn)]);

  it("covers every setting the construct takes", () => {
    expect([...leaves(EVERY_SETTING), ...leaves(A_PRESET)].map(([k]) => k).filter((k) => k !== "github.appId").sort()).toEqual(
      SETTING_KEYS.filter((k) => k !== "github.appId").sort(),
    );
  });

  it.each(HANDLERS)("of the %s function sets only variables tornade reads", (name) => {
    const names = Object.keys(environmentOf(name));
    expect(names.filter((n) => !known.has(n) && !RUNTIME_VARS.test(n))).toEqual([]);
    expect(names.filter((n) => known.has(n)).length).toBeGreaterThan(30);
  });

  it.each(HANDLERS)("of the %s function loads through tornade's loadConfig into the settings the props gave", (name) => {
    // The webhook and events functions load without GitHub credentials, as `tornade explain` does (src/lambda/wiring.ts).
    const config = loadAs(name, atColdStart(environmentOf(name)));
    for (const [key, value] of leaves(EVERY_SETTING)) expect(getPath(config, key), key).toEqual(value);
    expect(config).toMatchObject({
      store: { kind: "dynamodb" },
      queue: { kind: "sqs" },
      aws: { containerName: "runner", assignPublicIp: true, jitConfig: { parameterPrefix: "/tornade/jit/" } },
    });
    expect(config.aws.cluster).toMatch(/^arn:aws:/);
    expect(config.aws.taskDefinitions).toEqual({ X86_64: expect.stringMatching(/task-definition/), ARM64: expect.stringMatching(/task-definition/) });
    expect(config.queue.url).toMatch(/^https:\/\/sqs\./);
  });

  it("loads a size preset as given", () => {
    const preset = functionEnvironments(A_PRESET);
    const config = loadAs("worker", atColdStart(preset.of("worker"), preset.resources));
    expect(config.defaults).toEqual({ size: "medium" });
    expect(config.github.appId).toBe(7);
  });

  it("for a `tornade serve` container (the container layout) loads the same settings, on the same table and queue", () => {
    const env = atColdStart(every.container);
    expect(Object.keys(every.container).filter((n) => !known.has(n))).toEqual([]);
    // Its secrets come from the construct's secrets, by value, where `tornade serve` reads them.
    env[SECRET_ARN_VARS.privateKey.value] = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    env[SECRET_ARN_VARS.webhookSecret.value] = "a webhook secret";
    // Nothing tells a container its region but its environment (Lambda sets AWS_REGION for the functions).
    delete env["AWS_REGION"];
    const config = loadConfig(env);
    expect(config.aws.region).toBe("eu-west-1");
    for (const [key, value] of leaves(EVERY_SETTING)) expect(getPath(config, key), key).toEqual(value);
    const worker = loadAs("worker", atColdStart(environmentOf("worker")));
    expect({ store: config.store, queue: config.queue, aws: config.aws }).toEqual({ store: worker.store, queue: worker.queue, aws: worker.aws });
  });

  it("runs every function with the Node flags `tornade serve` is measured with (a smaller young generation)", () => {
    for (const name of HANDLERS) expect(String(environmentOf(name)["NODE_OPTIONS"]).split(" ")).toEqual(expect.arrayContaining(SERVE_NODE_OPTIONS.split(" ")));
  });

  it("gives the webhook function the webhook secret's ARN only, the events function none, the worker and sweep the key's only", () => {
    expect(Object.keys(environmentOf("webhook"))).not.toContain(SECRET_ARN_VARS.privateKey.arn);
    expect(Object.keys(environmentOf("webhook"))).toContain(SECRET_ARN_VARS.webhookSecret.arn);
    expect(Object.keys(environmentOf("events")).filter((n) => /SECRET|PEM|TOKEN/.test(n))).toEqual([]);
    for (const name of ["worker", "sweep"] as const) {
      expect(Object.keys(environmentOf(name))).toContain(SECRET_ARN_VARS.privateKey.arn);
      expect(Object.keys(environmentOf(name))).not.toContain(SECRET_ARN_VARS.webhookSecret.arn);
    }
  });
});
