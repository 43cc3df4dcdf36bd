/**
 * Holds the simulated runner scale set service to the types of GitHub's public client (github.com/actions/scaleset),
 * as scripts/extract-scaleset-types.ts wrote them into client-types.json (shipped with the compiled test bed, which
 * checks every request against it, so this checker needs no dev dependency: no JSON Schema engine, the Go types read
 * directly).
 *
 * Go's decoder forgives a lot (unknown members are dropped, missing ones left zero, names matched ignoring case); the
 * checks here are stricter on purpose, so that whatever the sim sends is exactly what the client's structs carry:
 * - every member is one the type declares, under its json name, case included;
 * - types match (time.Time is an RFC 3339 string, uuid.UUID a UUID string, a pointer may also be null);
 * - in answers, every member without `omitempty` is present (the client reads it whatever happens).
 * Requests are checked without the last rule: a client may leave out what the service defaults.
 */
import { readFileSync } from "node:fs";
import { isEmptyBody } from "../http.js";
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

export function loadScaleSetTypes(): Fixture {
  if (fixture) return fixture;
  const raw = JSON.parse(readFileSync(new URL("./client-types.json", import.meta.url), "utf8")) as Partial<Fixture>;
  if (typeof raw.types !== "object" || raw.types === null || !raw.source) {
    throw new Error("testbed/github/scaleset/client-types.json is malformed; regenerate it with scripts/extract-scaleset-types.ts");
  }
  fixture = raw as Fixture;
  return fixture;
}

// RFC 3339 as Go's time.Time marshals it (fractional seconds optional, Z or an offset); a UUID in any version.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Problems of `v` as Go type `t` at JSON pointer `at`, appended to `out`. */
function checkValue(t: GoType, v: unknown, role: Role, at: string, out: string[]): void {
  if (v === null) {
    if (!t.nullable && t.kind !== "any") out.push(`${at || "/"} must not be null`);
    return;
  }
  const where = at || "/";
  switch (t.kind) {
    case "string":
      if (typeof v !== "string") out.push(`${where} must be string`);
      return;
    case "integer":
      if (!Number.isInteger(v)) out.push(`${where} must be integer`);
      return;
    case "number":
      if (typeof v !== "number") out.push(`${where} must be number`);
      return;
    case "boolean":
      if (typeof v !== "boolean") out.push(`${where} must be boolean`);
      return;
    case "time":
      if (typeof v !== "string" || !DATE_TIME.test(v) || Number.isNaN(Date.parse(v))) out.push(`${where} must match format "date-time"`);
      return;
    case "uuid":
      if (typeof v !== "string" || !UUID.test(v)) out.push(`${where} must match format "uuid"`);
      return;
    case "any":
      return;
    case "array":
      if (!Array.isArray(v)) out.push(`${where} must be array`);
      else v.forEach((item, i) => checkValue(t.items, item, role, `${at}/${i}`, out));
      return;
    case "map":
      if (!isObject(v)) out.push(`${where} must be object`);
      else for (const [k, item] of Object.entries(v)) checkValue(t.values, item, role, `${at}/${k}`, out);
      return;
    case "ref":
      checkStruct(t.ref, v, role, at, out);
      return;
  }
}

/**
 * A struct: only its declared members, under their json names; in answers every member without `omitempty` present.
 * `[]int64` is the one body that is no struct.
 */
function checkStruct(name: string, v: unknown, role: Role, at: string, out: string[]): void {
  if (name === INT64_ARRAY) {
    checkValue({ kind: "array", items: { kind: "integer" } }, v, role, at, out);
    return;
  }
  const struct = loadScaleSetTypes().types[name];
  if (!struct) throw new Error(`no type ${name} in testbed/github/scaleset/client-types.json`);
  const where = at || "/";
  if (!isObject(v)) {
    out.push(`${where} must be object`);
    return;
  }
  const fields = new Map(struct.fields.map((f) => [f.json, f]));
  for (const k of Object.keys(v)) if (!fields.has(k)) out.push(`${where} must NOT have additional properties (${k})`);
  for (const f of struct.fields) {
    if (!Object.hasOwn(v, f.json)) {
      if (role === "response" && !f.omitempty) out.push(`${where} must have required property '${f.json}'`);
      continue;
    }
    checkValue(f.type, v[f.json], role, `${at}/${f.json}`, out);
  }
}

/** Every way `body` departs from the client's type `name`, one line each (empty when it fits). */
export function validateScaleSetBody(name: string, body: unknown, role: Role): string[] {
  const out: string[] = [];
  checkStruct(name, body, role, "", out);
  return [...new Set(out)].map((e) => `${name} (${role}): ${e}`);
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
