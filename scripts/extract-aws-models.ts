/**
 * Regenerates testbed/aws/models/{ecs,codebuild,ssm}.json: the subset of AWS's own API models that the AWS simulator
 * checks every request (and, in tests, every answer) against.
 *
 * Source of shapes: the `aws-sdk` v2 package's `apis/<service>.min.json` (AWS's service models as shipped to the v2
 * SDK). It is never added as a dependency (it is ~90 MB unpacked): either install it outside the project and name it,
 *   npm i --prefix /tmp/awsmodels aws-sdk@2 && npx tsx scripts/extract-aws-models.ts --aws-sdk /tmp/awsmodels/node_modules/aws-sdk
 * or let the script fetch it with `npm pack aws-sdk@2` into a temp dir.
 * The .min.json files drop enum values and documentation, so enum values are added from the installed v3 client's
 * declarations (`@aws-sdk/client-<svc>/dist-types/models/{enums,models_*}.d.ts`), which carry the same model's enums;
 * the walk follows the v3 type names in parallel, which also gives every structure its published name.
 *
 * Run: npx tsx scripts/extract-aws-models.ts [--aws-sdk DIR]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

interface MinShape {
  type?: string;
  shape?: string;
  members?: Record<string, MinShape>;
  required?: string[];
  member?: MinShape;
  key?: MinShape;
  value?: MinShape;
  idempotencyToken?: boolean;
}
interface MinModel {
  metadata: Record<string, unknown>;
  operations: Record<string, { input?: MinShape; output?: MinShape }>;
  shapes: Record<string, MinShape>;
}

/** The fixture's shape language (see testbed/aws/model.ts). */
type Shape =
  | { type: "structure"; members: Record<string, Shape>; required?: string[] }
  | { type: "list"; member: Shape }
  | { type: "map"; key: Shape; value: Shape }
  | { type: "string"; enum?: string[]; idempotencyToken?: true }
  | { type: "integer" | "long" | "double" | "float" | "boolean" | "timestamp" | "blob" }
  | { ref: string };

const services = [
  {
    file: "ecs-2014-11-13.min.json",
    out: "ecs.json",
    sdk: "@aws-sdk/client-ecs",
    suffix: ["Request", "Response"],
    operations: ["RunTask", "DescribeTasks", "StopTask", "ListTasks", "DescribeTaskDefinition", "DescribeClusters"],
  },
  {
    file: "codebuild-2016-10-06.min.json",
    out: "codebuild.json",
    sdk: "@aws-sdk/client-codebuild",
    suffix: ["Input", "Output"],
    operations: ["StartBuild", "BatchGetBuilds", "StopBuild", "BatchGetProjects", "ListBuildsForProject"],
  },
  {
    file: "ssm-2014-11-06.min.json",
    out: "ssm.json",
    sdk: "@aws-sdk/client-ssm",
    suffix: ["Request", "Result"],
    operations: ["PutParameter", "GetParameter", "GetParameters", "GetParametersByPath", "DeleteParameter", "DeleteParameters"],
  },
] as const;

/** interface name -> member name -> TypeScript type text, and enum name -> values, from the v3 declarations. */
function readSdkTypes(pkg: string) {
  const dir = join(root, "node_modules", pkg, "dist-types", "models");
  const interfaces = new Map<string, Map<string, string>>();
  const enums = new Map<string, string[]>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".d.ts"))) {
    const text = readFileSync(join(dir, f), "utf8");
    for (const m of text.matchAll(/^export interface (\w+) \{\n([\s\S]*?)^\}/gm)) {
      const members = new Map<string, string>();
      for (const mm of (m[2] ?? "").matchAll(/^ {4}(\w+)\??: (.+);$/gm)) members.set(mm[1]!, mm[2]!.replace(/ \| undefined$/, ""));
      interfaces.set(m[1]!, members);
    }
    for (const m of text.matchAll(/^export declare const (\w+): \{\n([\s\S]*?)^\};/gm)) {
      enums.set(m[1]!, [...(m[2] ?? "").matchAll(/: "([^"]*)";/g)].map((x) => x[1]!));
    }
  }
  const errorsText = readFileSync(join(dir, "errors.d.ts"), "utf8");
  const errors = [...errorsText.matchAll(/^export declare class (\w+) extends/gm)].map((m) => m[1]!);
  return { interfaces, enums, errors };
}

function convert(model: MinModel, sdk: ReturnType<typeof readSdkTypes>, operations: readonly string[], suffix: readonly string[]) {
  const shapes: Record<string, Shape> = {};
  const resolve = (s: MinShape): MinShape => (s.shape ? resolve(model.shapes[s.shape] ?? {}) : s);

  // `tsType` is the v3 type text for this position (e.g. "TaskOverride", "Tag[]", "LaunchType", "string").
  const walk = (raw: MinShape, tsType: string | undefined, fallbackName: string): Shape => {
    const s = resolve(raw);
    const type = s.type ?? "string";
    if (type === "structure") {
      const name = tsType && /^\w+$/.test(tsType) ? tsType : fallbackName;
      if (!(name in shapes)) {
        const node: { type: "structure"; members: Record<string, Shape>; required?: string[] } = { type: "structure", members: {} };
        shapes[name] = node; // placed first so recursive shapes terminate
        const tsMembers = sdk.interfaces.get(name);
        for (const [m, ms] of Object.entries(s.members ?? {})) node.members[m] = walk(ms, tsMembers?.get(m), `${name}${m[0]!.toUpperCase()}${m.slice(1)}`);
        if (s.required?.length) node.required = [...s.required];
      }
      return { ref: name };
    }
    if (type === "list") {
      const elem = tsType?.endsWith("[]") ? tsType.slice(0, -2).replace(/^\((.*)\)$/, "$1") : undefined;
      return { type: "list", member: walk(s.member ?? {}, elem, `${fallbackName}Member`) };
    }
    if (type === "map") {
      const mv = tsType?.match(/^Record<(\w+), (.+)>$/);
      return { type: "map", key: walk(s.key ?? {}, mv?.[1], `${fallbackName}Key`), value: walk(s.value ?? {}, mv?.[2], `${fallbackName}Value`) };
    }
    if (type === "string") {
      const out: { type: "string"; enum?: string[]; idempotencyToken?: true } = { type: "string" };
      const values = tsType ? sdk.enums.get(tsType) : undefined;
      if (values) out.enum = values;
      if (raw.idempotencyToken || s.idempotencyToken) out.idempotencyToken = true;
      return out;
    }
    if (type === "integer" || type === "long" || type === "double" || type === "float" || type === "boolean" || type === "timestamp" || type === "blob") {
      return { type };
    }
    throw new Error(`unexpected shape type ${type} at ${fallbackName}`);
  };

  const ops: Record<string, { input: string; output: string }> = {};
  for (const op of operations) {
    const o = model.operations[op];
    if (!o?.input || !o.output) throw new Error(`operation ${op} missing from the model`);
    const inName = `${op}${suffix[0]}`;
    const outName = `${op}${suffix[1]}`;
    walk(o.input, inName, inName);
    walk(o.output, outName, outName);
    ops[op] = { input: inName, output: outName };
  }
  return { ops, shapes };
}

/** The aws-sdk v2 package directory: `--aws-sdk DIR` when given, else unpacked from `npm pack aws-sdk@2` into `tmp`. */
function awsSdkDir(tmp: string): string {
  const at = process.argv.indexOf("--aws-sdk");
  if (at >= 0) {
    const dir = process.argv[at + 1];
    if (!dir) throw new Error("--aws-sdk needs the directory of an installed aws-sdk@2 package");
    return dir;
  }
  execFileSync("npm", ["pack", "aws-sdk@2", "--silent"], { cwd: tmp, stdio: ["ignore", "pipe", "inherit"] });
  const tgz = readdirSync(tmp).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error("npm pack produced no tarball");
  execFileSync("tar", ["xzf", tgz, "package/package.json", ...services.map((s) => `package/apis/${s.file}`)], { cwd: tmp });
  return join(tmp, "package");
}

function main(): void {
  const tmp = mkdtempSync(join(tmpdir(), "aws-models-"));
  try {
    const pkg = awsSdkDir(tmp);
    const version = (JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { version: string }).version;
    const outDir = join(root, "testbed", "aws", "models");
    mkdirSync(outDir, { recursive: true });
    for (const svc of services) {
      const model = JSON.parse(readFileSync(join(pkg, "apis", svc.file), "utf8")) as MinModel;
      const sdk = readSdkTypes(svc.sdk);
      const sdkVersion = (JSON.parse(readFileSync(join(root, "node_modules", svc.sdk, "package.json"), "utf8")) as { version: string }).version;
      const { ops, shapes } = convert(model, sdk, svc.operations, svc.suffix);
      const md = model.metadata;
      const fixture = {
        source: { package: `aws-sdk@${version}`, file: `apis/${svc.file}`, enums: `${svc.sdk}@${sdkVersion} dist-types` },
        metadata: { apiVersion: md.apiVersion, targetPrefix: md.targetPrefix, jsonVersion: md.jsonVersion, serviceId: md.serviceId },
        errors: sdk.errors,
        operations: ops,
        shapes,
      };
      writeFileSync(join(outDir, svc.out), JSON.stringify(fixture, null, 1) + "\n");
      console.log(`${svc.out}: ${Object.keys(ops).length} operations, ${Object.keys(shapes).length} structures (aws-sdk ${version})`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main();
