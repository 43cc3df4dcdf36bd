/**
 * Regenerates testbed/spec/github-openapi-subset.json: the part of GitHub's published OpenAPI description
 * (npm package `@octokit/openapi`, which republishes https://github.com/github/rest-api-description) that tornade
 * and its test bed use.
 *
 * Why a script and a fixture: the package is ~385 MB unpacked, far too big to be a dependency, while the operations
 * tornade calls need well under a megabyte. The fixture keeps, per operation, the request body schema, the response
 * schema per documented status and the documented examples; schemas keep their `$ref`s into
 * `components.schemas`, and only the components those operations reach are copied.
 *
 *   npx tsx scripts/extract-github-spec.ts [--version 23.0.2] [--from path/to/api.github.com.json]
 *
 * Without --from it fetches the package with `npm pack`. Where that is not wanted, install the package outside the
 * project and point at it:
 *   npm i --prefix /tmp/openapi @octokit/openapi@23.0.2
 *   npx tsx scripts/extract-github-spec.ts --from /tmp/openapi/node_modules/@octokit/openapi/generated/api.github.com.json
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Pinned so the fixture is reproducible; pass --version to move it. */
const DEFAULT_VERSION = "23.0.2";
const SPEC_FILE = "generated/api.github.com.json";
const OUT = resolve(dirname(fileURLToPath(import.meta.url)), "../testbed/spec/github-openapi-subset.json");

/** Every REST operation tornade or its test bed calls (see issues 2 and 3). */
export const OPERATIONS: ReadonlyArray<readonly [method: string, route: string]> = [
  ["POST", "/app/installations/{installation_id}/access_tokens"],
  ["GET", "/repos/{owner}/{repo}/installation"],
  ["GET", "/orgs/{org}/installation"],
  ["GET", "/app/installations"],
  ["GET", "/app"],
  ["POST", "/repos/{owner}/{repo}/actions/runners/generate-jitconfig"],
  ["POST", "/orgs/{org}/actions/runners/generate-jitconfig"],
  ["POST", "/repos/{owner}/{repo}/actions/runners/registration-token"],
  ["POST", "/orgs/{org}/actions/runners/registration-token"],
  ["POST", "/repos/{owner}/{repo}/actions/runners/remove-token"],
  ["POST", "/orgs/{org}/actions/runners/remove-token"],
  ["GET", "/repos/{owner}/{repo}/actions/runners"],
  ["GET", "/orgs/{org}/actions/runners"],
  ["GET", "/repos/{owner}/{repo}/actions/runners/{runner_id}"],
  ["GET", "/orgs/{org}/actions/runners/{runner_id}"],
  ["DELETE", "/repos/{owner}/{repo}/actions/runners/{runner_id}"],
  ["DELETE", "/orgs/{org}/actions/runners/{runner_id}"],
  ["GET", "/repos/{owner}/{repo}/actions/jobs/{job_id}"],
  ["GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs"],
  ["GET", "/repos/{owner}/{repo}/actions/runs"],
  ["GET", "/repos/{owner}/{repo}/actions/runs/{run_id}"],
  ["POST", "/repos/{owner}/{repo}/actions/jobs/{job_id}/rerun"],
  ["POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/cancel"],
  ["GET", "/app/hook/deliveries"],
  ["GET", "/app/hook/deliveries/{delivery_id}"],
  ["POST", "/app/hook/deliveries/{delivery_id}/attempts"],
  ["POST", "/repos/{owner}/{repo}/check-runs"],
  ["GET", "/rate_limit"],
  ["GET", "/orgs/{org}/actions/runner-groups"],
  ["GET", "/orgs/{org}/actions/runner-groups/{runner_group_id}"],
  ["GET", "/orgs/{org}/actions/runner-groups/{runner_group_id}/repositories"],
  ["GET", "/installation/repositories"],
  ["POST", "/app-manifests/{code}/conversions"],
];

/**
 * Places where GitHub's description contradicts itself, corrected here (and listed in the fixture's `source.errata`)
 * so the simulator is held to what GitHub actually serves rather than to a typo.
 */
const ERRATA: ReadonlyArray<{ method: string; route: string; status: string; why: string; schema: Json }> = [
  {
    method: "GET",
    route: "/app/installations",
    status: "200",
    why:
      "the inlined item schema requires `account` to be a simple-user AND an enterprise (allOf), which no account is and " +
      "which the operation's own example violates; components.schemas.installation, used by every other installation " +
      "endpoint, says anyOf. Use that.",
    schema: { type: "array", items: { $ref: "#/components/schemas/installation" } },
  },
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function args(argv: string[]): { version: string; from?: string } {
  let version = DEFAULT_VERSION;
  let from: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === "--version" && v) (version = v), i++;
    else if (a === "--from" && v) (from = v), i++;
    else throw new Error(`unknown or incomplete argument ${a}; usage: extract-github-spec.ts [--version V] [--from FILE]`);
  }
  return from === undefined ? { version } : { version, from };
}

/** `npm pack` into a fresh temp dir and untar only the one description we need (the tarball holds ~385 MB). */
function fetchSpec(version: string): { spec: JsonObject; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "octokit-openapi-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    execFileSync("npm", ["pack", `@octokit/openapi@${version}`, "--silent"], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
    const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    if (!tgz) throw new Error(`npm pack left no tarball in ${dir}`);
    execFileSync("tar", ["xzf", tgz, `package/${SPEC_FILE}`], { cwd: dir, stdio: "inherit" });
    return { spec: JSON.parse(readFileSync(join(dir, "package", SPEC_FILE), "utf8")) as JsonObject, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** Follows a local `#/a/b/c` pointer. */
function pointer(spec: JsonObject, ref: string): Json {
  if (!ref.startsWith("#/")) throw new Error(`only local $refs are expected in GitHub's description, got ${ref}`);
  let node: Json | undefined = spec;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    node = isObject(node) ? node[key] : undefined;
    if (node === undefined) throw new Error(`dangling $ref ${ref}`);
  }
  return node;
}

/** Resolves a `$ref` wrapper (responses, examples, request bodies live behind one) to its target, repeatedly. */
function deref(spec: JsonObject, node: Json | undefined): Json | undefined {
  while (isObject(node) && typeof node.$ref === "string") node = pointer(spec, node.$ref);
  return node;
}

/** Collects the names of every `#/components/schemas/X` reachable from `node`, transitively. */
function collectSchemaRefs(spec: JsonObject, node: Json | undefined, seen: Set<string>): void {
  if (Array.isArray(node)) return node.forEach((n) => collectSchemaRefs(spec, n, seen));
  if (!isObject(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref" && typeof v === "string") {
      const m = /^#\/components\/schemas\/(.+)$/.exec(v);
      if (!m?.[1]) throw new Error(`unexpected schema $ref ${v}`);
      if (!seen.has(m[1])) {
        seen.add(m[1]);
        collectSchemaRefs(spec, pointer(spec, v), seen);
      }
    } else collectSchemaRefs(spec, v, seen);
  }
}

/** Drops what only bloats the fixture: descriptions, titles and schema-level `example`s never change validation. */
function slim(node: Json): Json {
  if (Array.isArray(node)) return node.map(slim);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) {
    if (((k === "description" || k === "title") && typeof v === "string") || k === "example") continue;
    // `properties` maps names to schemas, so a property literally called "description" must survive.
    out[k] = k === "properties" && isObject(v) ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, slim(s)])) : slim(v);
  }
  return out;
}

function jsonContent(content: Json | undefined): JsonObject | undefined {
  if (!isObject(content)) return undefined;
  const key = Object.keys(content).find((k) => k === "application/json") ?? Object.keys(content).find((k) => k.endsWith("json"));
  const c = key ? content[key] : undefined;
  return isObject(c) ? c : undefined;
}

function examplesOf(spec: JsonObject, media: JsonObject): JsonObject {
  const out: JsonObject = {};
  const examples = media.examples;
  if (isObject(examples)) {
    for (const [name, ex] of Object.entries(examples)) {
      const e = deref(spec, ex);
      if (isObject(e) && "value" in e) out[name] = e.value ?? null;
    }
  }
  return out;
}

function extract(spec: JsonObject, version: string): JsonObject {
  const paths = spec.paths;
  if (!isObject(paths)) throw new Error("description has no paths");
  const schemaNames = new Set<string>();
  const operations: Json[] = [];
  for (const [method, route] of OPERATIONS) {
    const item = paths[route];
    const op = isObject(item) ? item[method.toLowerCase()] : undefined;
    if (!isObject(op)) throw new Error(`${method} ${route} is not in @octokit/openapi@${version}`);
    let requestBody: Json = null;
    const rb = deref(spec, op.requestBody);
    if (isObject(rb)) {
      const media = jsonContent(rb.content);
      if (media?.schema) {
        collectSchemaRefs(spec, media.schema, schemaNames);
        requestBody = { required: rb.required === true, schema: slim(media.schema), examples: examplesOf(spec, media) };
      }
    }
    const responses: JsonObject = {};
    for (const [status, r] of Object.entries(isObject(op.responses) ? op.responses : {})) {
      const resp = deref(spec, r);
      const media = isObject(resp) ? jsonContent(resp.content) : undefined;
      if (media?.schema) collectSchemaRefs(spec, media.schema, schemaNames);
      responses[status] = media?.schema ? { schema: slim(media.schema), examples: examplesOf(spec, media) } : { schema: null };
    }
    for (const e of ERRATA.filter((x) => x.method === method && x.route === route)) {
      const r = responses[e.status];
      if (!isObject(r)) throw new Error(`erratum for ${method} ${route} ${e.status} no longer applies: no such response`);
      collectSchemaRefs(spec, e.schema, schemaNames);
      r.schema = e.schema;
    }
    operations.push({ method, route, operationId: typeof op.operationId === "string" ? op.operationId : null, requestBody, responses });
  }
  const all = pointer(spec, "#/components/schemas");
  const schemas: JsonObject = {};
  for (const name of [...schemaNames].sort()) schemas[name] = slim(isObject(all) ? (all[name] ?? null) : null);
  return {
    source: {
      package: "@octokit/openapi",
      version,
      file: SPEC_FILE,
      openapi: typeof spec.openapi === "string" ? spec.openapi : null,
      errata: ERRATA.map(({ method, route, status, why }) => ({ method, route, status, why })),
      note: "Generated by scripts/extract-github-spec.ts; do not edit by hand. Descriptions and titles are dropped.",
    },
    operations,
    components: { schemas },
  };
}

const { version, from } = args(process.argv.slice(2));
const fetched = from ? { spec: JSON.parse(readFileSync(from, "utf8")) as JsonObject, cleanup: () => {} } : fetchSpec(version);
try {
  const subset = extract(fetched.spec, version);
  writeFileSync(OUT, JSON.stringify(subset, null, 1) + "\n");
  const ops = Array.isArray(subset.operations) ? subset.operations.length : 0;
  const comps = isObject(subset.components) && isObject(subset.components.schemas) ? Object.keys(subset.components.schemas).length : 0;
  process.stderr.write(`wrote ${OUT}: ${ops} operations, ${comps} component schemas, from @octokit/openapi@${version}\n`);
} finally {
  fetched.cleanup();
}
