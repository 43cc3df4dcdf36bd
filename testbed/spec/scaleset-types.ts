/**
 * Holds the simulated runner scale set service to the types of GitHub's public client (github.com/actions/scaleset),
 * as scripts/extract-scaleset-types.ts wrote them into scaleset-types.json.
 *
 * Go's decoder forgives a lot (unknown members are dropped, missing ones left zero, names matched ignoring case); the
 * checks here are stricter on purpose, so that whatever the sim sends is exactly what the client's structs carry:
 * - every member is one the type declares, under its json name, case included;
 * - types match (time.Time is an RFC 3339 string, uuid.UUID a UUID string, a pointer may also be null);
 * - in answers, every member without `omitempty` is present (the client reads it whatever happens).
 * Requests are checked without the last rule: a client may leave out what the service defaults.
 */
import { readFileSync } from "node:fs";
import type { ValidateFunction } from "ajv";
import { describeErrors, isEmptyBody, newAjv } from "./ajv.js";
import type { GoStruct, GoType } from "./go-structs.js";

export type Role = "request" | "response";

interface Fixture {
  source: { repository: string; files: { path: string; commit: string }[] };
  types: Record<string, GoStruct>;
}

/** A request body that is no struct: `acquirejobs` takes the bare JSON array of request ids (json.Marshal([]int64)). */
export const INT64_ARRAY = "[]int64";

export interface ScaleSetRoute {
  request?: string;
  /** Type name of the answer per success status; null for no body. */
  responses: Readonly<Record<number, string | null>>;
  /** Error answers carry actionsExceptionError, except where the client reads them as plain text (null). */
  errors?: null;
}

const RSS = "/_apis/runtime/runnerscalesets";
const AGENTS = "/_apis/distributedtask/pools/0/agents";

/** What the client calls (client.go, session_client.go), keyed "METHOD template", the service's own routes. */
export const SCALE_SET_ROUTES: Readonly<Record<string, ScaleSetRoute>> = {
  "POST /actions/runner-registration": { request: "getActionsServiceAdminConnection.body", responses: { 201: "actionsServiceAdminConnection" }, errors: null },
  "GET /_apis/runtime/runnergroups": { responses: { 200: "RunnerGroupList" } },
  [`GET ${RSS}`]: { responses: { 200: "runnerScaleSetsResponse" } },
  [`POST ${RSS}`]: { request: "RunnerScaleSet", responses: { 200: "RunnerScaleSet" } },
  [`GET ${RSS}/{scaleSetId}`]: { responses: { 200: "RunnerScaleSet" } },
  [`PATCH ${RSS}/{scaleSetId}`]: { request: "RunnerScaleSet", responses: { 200: "RunnerScaleSet" } },
  [`DELETE ${RSS}/{scaleSetId}`]: { responses: { 204: null } },
  [`POST ${RSS}/{scaleSetId}/sessions`]: { request: "RunnerScaleSetSession", responses: { 200: "RunnerScaleSetSession" } },
  [`PATCH ${RSS}/{scaleSetId}/sessions/{sessionId}`]: { responses: { 200: "RunnerScaleSetSession" } },
  [`DELETE ${RSS}/{scaleSetId}/sessions/{sessionId}`]: { responses: { 204: null } },
  [`GET ${RSS}/{scaleSetId}/messages`]: { responses: { 200: "RunnerScaleSetMessage", 202: null } },
  [`DELETE ${RSS}/{scaleSetId}/messages/{messageId}`]: { responses: { 204: null } },
  [`POST ${RSS}/{scaleSetId}/acquirejobs`]: { request: INT64_ARRAY, responses: { 200: "Int64List" } },
  [`POST ${RSS}/{scaleSetId}/generatejitconfig`]: { request: "RunnerScaleSetJitRunnerSetting", responses: { 200: "RunnerScaleSetJitRunnerConfig" } },
  [`GET ${AGENTS}`]: { responses: { 200: "RunnerReferenceList" } },
  [`GET ${AGENTS}/{runnerId}`]: { responses: { 200: "RunnerReference" } },
  [`DELETE ${AGENTS}/{runnerId}`]: { responses: { 204: null } },
};

/** The error body ParseActionsErrorFromResponse reads (errors.go). */
export const ERROR_TYPE = "actionsExceptionError";
/** The only outer message type the client parses, and the job message types it dispatches on (client.go). */
export const JOB_MESSAGES_TYPE = "RunnerScaleSetJobMessages";
export const JOB_MESSAGE_TYPES = ["JobAvailable", "JobAssigned", "JobStarted", "JobCompleted"] as const;

let fixture: Fixture | undefined;
const compiled = new Map<string, ValidateFunction>();
const ajv = newAjv();

export function loadScaleSetTypes(): Fixture {
  if (fixture) return fixture;
  const raw = JSON.parse(readFileSync(new URL("./scaleset-types.json", import.meta.url), "utf8")) as Partial<Fixture>;
  if (typeof raw.types !== "object" || raw.types === null || !raw.source) {
    throw new Error("testbed/spec/scaleset-types.json is malformed; regenerate it with scripts/extract-scaleset-types.ts");
  }
  fixture = raw as Fixture;
  return fixture;
}

function schemaOf(t: GoType, role: Role): Record<string, unknown> {
  const base = ((): Record<string, unknown> => {
    switch (t.kind) {
      case "string":
        return { type: "string" };
      case "integer":
      case "number":
      case "boolean":
        return { type: t.kind };
      case "time":
        return { type: "string", format: "date-time" };
      case "uuid":
        return { type: "string", format: "uuid" };
      case "any":
        return {};
      case "array":
        return { type: "array", items: schemaOf(t.items, role) };
      case "map":
        return { type: "object", additionalProperties: schemaOf(t.values, role) };
      case "ref":
        return { $ref: `#/$defs/${t.ref}` };
    }
  })();
  return t.nullable ? { anyOf: [{ type: "null" }, base] } : base;
}

function documentFor(role: Role): Record<string, unknown> {
  const $defs: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(loadScaleSetTypes().types)) {
    $defs[name] = {
      type: "object",
      properties: Object.fromEntries(s.fields.map((f) => [f.json, schemaOf(f.type, role)])),
      ...(role === "response" ? { required: s.fields.filter((f) => !f.omitempty).map((f) => f.json) } : {}),
      additionalProperties: false,
    };
  }
  $defs[INT64_ARRAY] = { type: "array", items: { type: "integer" } };
  return { $id: `https://tornade.invalid/scaleset-${role}.json`, $defs };
}

function validator(name: string, role: Role): ValidateFunction {
  const key = `${role}:${name}`;
  let v = compiled.get(key);
  if (!v) {
    const id = `https://tornade.invalid/scaleset-${role}.json`;
    if (!ajv.getSchema(id)) ajv.addSchema(documentFor(role));
    if (name !== INT64_ARRAY && !loadScaleSetTypes().types[name]) throw new Error(`no type ${name} in testbed/spec/scaleset-types.json`);
    v = ajv.compile({ $ref: `${id}#/$defs/${encodeURIComponent(name)}` });
    compiled.set(key, v);
  }
  return v;
}

/** Every way `body` departs from the client's type `name`, one line each (empty when it fits). */
export function validateScaleSetBody(name: string, body: unknown, role: Role): string[] {
  const v = validator(name, role);
  return v(body) ? [] : describeErrors(`${name} (${role})`, v.errors);
}

/** Checks one answer of the simulated service, including each job message inside a message's `body`. */
export function validateScaleSetResponse(method: string, route: string, status: number, body: unknown): string[] {
  const at = `${method} ${route} ${status}`;
  const r = SCALE_SET_ROUTES[`${method} ${route}`];
  if (!r) return [`${at}: not a route of the client`];
  if (status >= 400) return r.errors === null ? [] : validateScaleSetBody(ERROR_TYPE, body, "response").map((e) => `${at}: ${e}`);
  if (!(status in r.responses)) return [`${at}: the client does not expect this status`];
  const type = r.responses[status];
  if (type === null || type === undefined) return isEmptyBody(body) ? [] : [`${at}: must have no body`];
  const errors = validateScaleSetBody(type, body, "response").map((e) => `${at}: ${e}`);
  if (type === "RunnerScaleSetMessage" && errors.length === 0) errors.push(...jobMessageErrors(body as { messageType: string; body: string }).map((e) => `${at}: ${e}`));
  return errors;
}

function jobMessageErrors(m: { messageType: string; body: string }): string[] {
  if (m.messageType !== JOB_MESSAGES_TYPE) return [`messageType ${m.messageType} is not ${JOB_MESSAGES_TYPE}, the only one the client parses`];
  if (m.body === "") return [];
  let items: unknown;
  try {
    items = JSON.parse(m.body);
  } catch {
    return ["body is not JSON"];
  }
  if (!Array.isArray(items)) return ["body is not a JSON array of job messages"];
  return items.flatMap((item, i) => {
    const type = (item as { messageType?: unknown } | null)?.messageType;
    if (!JOB_MESSAGE_TYPES.includes(type as (typeof JOB_MESSAGE_TYPES)[number])) return [`body[${i}]: messageType ${String(type)} is not one the client handles`];
    return validateScaleSetBody(String(type), item, "response").map((e) => `body[${i}]: ${e}`);
  });
}
