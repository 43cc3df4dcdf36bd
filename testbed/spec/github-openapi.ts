/**
 * Validators that hold the GitHub simulator to what GitHub publishes.
 *
 * REST shapes come from GitHub's OpenAPI description (https://github.com/github/rest-api-description, republished as
 * the npm package `@octokit/openapi`), cut down by scripts/extract-github-spec.ts to github-openapi-subset.json.
 * Webhook payloads are checked against `@octokit/webhooks-schemas` (see webhook-schemas.ts).
 */
import { readFileSync } from "node:fs";
import type { ValidateFunction } from "ajv";
import { isEmptyBody } from "../github/http.js";
import { describeErrors, newAjv } from "./ajv.js";

export { validateWebhookPayload } from "./webhook-schemas.js";

type Schema = Record<string, unknown>;

export interface SpecResponse {
  readonly schema: Schema | null;
  readonly examples?: Readonly<Record<string, unknown>>;
}

export interface SpecOperation {
  readonly method: string;
  readonly route: string;
  readonly operationId: string | null;
  readonly requestBody: { readonly required: boolean; readonly schema: Schema; readonly examples?: Readonly<Record<string, unknown>> } | null;
  readonly responses: Readonly<Record<string, SpecResponse>>;
}

export interface SpecSubset {
  readonly source: { readonly package: string; readonly version: string; readonly openapi: string | null };
  readonly operations: readonly SpecOperation[];
  readonly components: { readonly schemas: Readonly<Record<string, Schema>> };
}

const COMPONENTS_ID = "https://tornade.invalid/github-openapi-components.json";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads the committed fixture, checking the few members this module relies on (it is external data). */
function loadSubset(): SpecSubset {
  const raw: unknown = JSON.parse(readFileSync(new URL("./github-openapi-subset.json", import.meta.url), "utf8"));
  const ok =
    isRecord(raw) &&
    isRecord(raw.source) &&
    Array.isArray(raw.operations) &&
    raw.operations.every((o) => isRecord(o) && typeof o.method === "string" && typeof o.route === "string" && isRecord(o.responses)) &&
    isRecord(raw.components) &&
    isRecord(raw.components.schemas);
  if (!ok) throw new Error("testbed/spec/github-openapi-subset.json is malformed; regenerate it with npx tsx scripts/extract-github-spec.ts");
  return raw as unknown as SpecSubset;
}

/**
 * GitHub's description is OpenAPI 3.0 (`"openapi": "3.0.3"`): null is allowed by `nullable: true`, not by type
 * arrays, and `$ref`s point at `#/components/schemas`. Ajv speaks JSON Schema, so rewrite both: a nullable typed
 * schema gets `"null"` in its type (and enum), any other nullable schema becomes `anyOf: [null, itself]`.
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!isRecord(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "nullable" || k.startsWith("x-")) continue;
    if (k === "$ref" && typeof v === "string") {
      out.$ref = v.replace(/^#\/components\/schemas\//, `${COMPONENTS_ID}#/definitions/`);
    } else if (k === "properties" && isRecord(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, toJsonSchema(s)]));
    } else if (k === "enum" || k === "default" || k === "required") {
      out[k] = v;
    } else out[k] = toJsonSchema(v);
  }
  if (node.nullable !== true) return out;
  if (typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [{ type: "null" }, out] };
}

interface Compiled {
  readonly subset: SpecSubset;
  readonly ajv: ReturnType<typeof newAjv>;
  readonly byKey: Map<string, SpecOperation>;
  readonly matchers: { method: string; route: string; re: RegExp; params: number }[];
  readonly validators: Map<string, ValidateFunction>;
}

let compiled: Compiled | undefined;

function spec(): Compiled {
  if (compiled) return compiled;
  const subset = loadSubset();
  const ajv = newAjv();
  const definitions = Object.fromEntries(Object.entries(subset.components.schemas).map(([n, s]) => [n, toJsonSchema(s)]));
  ajv.addSchema({ $id: COMPONENTS_ID, definitions });
  const byKey = new Map<string, SpecOperation>();
  const matchers: Compiled["matchers"] = [];
  for (const op of subset.operations) {
    byKey.set(`${op.method} ${op.route}`, op);
    const params = (op.route.match(/\{[^}]+\}/g) ?? []).length;
    const pattern = op.route
      .split(/(\{[^}]+\})/)
      .map((part) => (part.startsWith("{") ? "([^/]+)" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
      .join("");
    matchers.push({ method: op.method, route: op.route, re: new RegExp(`^${pattern}$`), params });
  }
  // A literal segment beats a parameter (…/runners/registration-token over …/runners/{runner_id}).
  matchers.sort((a, b) => a.params - b.params);
  compiled = { subset, ajv, byKey, matchers, validators: new Map() };
  return compiled;
}

function validatorFor(key: string, schema: Schema): ValidateFunction {
  const c = spec();
  let v = c.validators.get(key);
  if (!v) {
    v = c.ajv.compile(toJsonSchema(schema) as Schema);
    c.validators.set(key, v);
  }
  return v;
}

function operation(method: string, route: string): SpecOperation | undefined {
  return spec().byKey.get(`${method.toUpperCase()} ${route}`);
}

/** The operations in the fixture, in its order. */
export function knownRoutes(): { method: string; route: string }[] {
  return spec().subset.operations.map((o) => ({ method: o.method, route: o.route }));
}

/** The fixture itself (version, operations, documented examples), for tests and docs. */
export function githubSpecSubset(): SpecSubset {
  return spec().subset;
}

/** A concrete request path (query string allowed) → its OpenAPI path template, or undefined when not in the subset. */
export function matchRoute(method: string, path: string): string | undefined {
  const m = method.toUpperCase();
  let p = path.split(/[?#]/, 1)[0] ?? "";
  if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
  return spec().matchers.find((x) => x.method === m && x.re.test(p))?.route;
}

/**
 * [] when `body` is what GitHub documents for this operation and status. A status documented without a schema
 * (204 No Content, 304 Not Modified) admits only an empty body; a status GitHub does not document is one error.
 */
export function validateGitHubResponse(method: string, route: string, status: number, body: unknown): string[] {
  const prefix = `${method.toUpperCase()} ${route} ${status}`;
  const op = operation(method, route);
  if (!op) return [`${method.toUpperCase()} ${route}: not an operation in the GitHub spec subset`];
  const res = op.responses[String(status)];
  if (!res) return [`${prefix}: status ${status} is not documented for ${op.operationId ?? route} (documented: ${Object.keys(op.responses).join(", ")})`];
  if (!res.schema) return isEmptyBody(body) ? [] : [`${prefix}: GitHub documents no body for this status, got one`];
  const v = validatorFor(`res ${prefix}`, res.schema);
  return v(body) ? [] : describeErrors(prefix, v.errors);
}

/** [] when `body` is a request body GitHub accepts for this operation (an empty body when it documents none). */
export function validateGitHubRequest(method: string, route: string, body: unknown): string[] {
  const prefix = `${method.toUpperCase()} ${route} request`;
  const op = operation(method, route);
  if (!op) return [`${method.toUpperCase()} ${route}: not an operation in the GitHub spec subset`];
  // Clients commonly send `{}` for a POST without parameters; GitHub ignores it, so it counts as empty here.
  const empty = isEmptyBody(body) || (isRecord(body) && Object.keys(body).length === 0);
  if (!op.requestBody) return empty ? [] : [`${prefix}: GitHub documents no request body for this operation, got one`];
  if (empty && !isRecord(body)) return op.requestBody.required ? [`${prefix}: a request body is required`] : [];
  const v = validatorFor(`req ${prefix}`, op.requestBody.schema);
  return v(body) ? [] : describeErrors(prefix, v.errors);
}
