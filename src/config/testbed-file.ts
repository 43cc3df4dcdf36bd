/**
 * `tornade serve --testbed FILE`: tornade configured from a standing test bed's port file (`npm run testbed --
 * --port-file FILE`, docs/testbed.md) — its GitHub and AWS endpoints, App id and key, webhook secret, cluster, subnets,
 * task definitions, CodeBuild project, and its clock's origin and speed, so tornade keeps the test bed's compressed
 * time. The file is read and validated here, in src/: production code never imports testbed/, so the shape is
 * restated as a schema and held to what testbed/cli.ts writes by test/cli/serve-testbed.test.ts.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "./load.js";

const nonEmpty = z.string().min(1);

/** What the environment of a tornade pointed at a test bed is made from (the sandbox uses it too, in process). */
const TestBedEndpoints = z.object({
  github: z.object({ url: z.url(), appId: z.number().int().positive(), webhookSecret: nonEmpty }),
  aws: z.object({
    endpoint: z.url(),
    region: nonEmpty,
    cluster: nonEmpty,
    taskDefinitions: z.object({ X86_64: nonEmpty, ARM64: nonEmpty }),
    codebuildProject: nonEmpty,
    subnets: z.array(nonEmpty).min(1),
    securityGroups: z.array(nonEmpty),
  }),
});
export type TestBedEndpoints = z.infer<typeof TestBedEndpoints>;

const PortFile = TestBedEndpoints.extend({
  github: TestBedEndpoints.shape.github.extend({
    // Null until the test bed has written the key: standing mode always has by the time the file appears.
    privateKeyPath: nonEmpty,
  }),
  clock: z.object({ origin: z.number().int().positive(), speed: z.number().min(1).max(100_000) }),
});

/** The test bed's simulated AWS accepts any SigV4 signature; tornade signs with these against it. */
export const TEST_BED_AWS_CREDENTIALS = { accessKeyId: "testbed", secretAccessKey: "testbed" } as const;

/**
 * The environment that points tornade at a test bed, in the seed's variable names where the seed has one.
 * `privateKey` is what SECRET_KEY_PEM accepts: the key's path, its PEM text, or base64 of it.
 */
export function testBedEnvOf(d: TestBedEndpoints, privateKey: string): Record<string, string> {
  return {
    APP_ID: String(d.github.appId),
    SECRET_KEY_PEM: privateKey,
    TORNADE_WEBHOOK_SECRET: d.github.webhookSecret,
    TORNADE_GITHUB_BASE_URL: d.github.url,
    TORNADE_AWS_ENDPOINT: d.aws.endpoint,
    TORNADE_AWS_REGION: d.aws.region,
    TORNADE_ECS_CLUSTER: d.aws.cluster,
    TORNADE_SUBNETS: d.aws.subnets.join(","),
    TORNADE_SECURITY_GROUPS: d.aws.securityGroups.join(","),
    TORNADE_TASK_DEFINITION_X86_64: d.aws.taskDefinitions.X86_64,
    TORNADE_TASK_DEFINITION_ARM64: d.aws.taskDefinitions.ARM64,
    TORNADE_CODEBUILD_PROJECT_X86_64: d.aws.codebuildProject,
    TORNADE_CODEBUILD_PROJECT_ARM64: d.aws.codebuildProject,
  };
}

const START = "start the test bed with `npm run testbed -- --port-file FILE` and pass that FILE";

/** Reads a standing test bed's port file into environment variables; ConfigError names the file and every problem. */
export function readTestBedFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new ConfigError([`--testbed ${path}: cannot read it (${code}). Fix: ${START}; the file exists only while the test bed runs`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`--testbed ${path}: not valid JSON (${jsonErrorAt(text, e)}). Fix: ${START}`]);
  }
  const parsed = PortFile.safeParse(data);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `--testbed ${path}: ${i.path.join(".") || "(top level)"}: ${i.message}. Fix: ${START} (a test bed older than its clock member writes none)`),
    );
  }
  const d = parsed.data;
  return {
    ...testBedEnvOf(d, d.github.privateKeyPath),
    TORNADE_CLOCK_SPEED: String(d.clock.speed),
    TORNADE_CLOCK_ORIGIN: String(d.clock.origin),
  };
}

/** JSON.parse's message, with its character position as a line and column a person can go to. */
function jsonErrorAt(text: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const pos = /at position (\d+)/.exec(message)?.[1];
  if (pos === undefined) return message;
  const before = text.slice(0, Number(pos));
  const line = before.split("\n").length;
  const column = Number(pos) - before.lastIndexOf("\n");
  return `${message}: line ${line}, column ${column}`;
}
