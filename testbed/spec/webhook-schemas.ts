/**
 * Webhook payloads checked against `@octokit/webhooks-schemas`: the community-maintained JSON Schemas (draft-07)
 * of GitHub's webhook payloads, published from https://github.com/octokit/webhooks alongside the examples in
 * `@octokit/webhooks-examples`. One definition per event and action: `workflow_job$queued`, `ping$event`, …
 */
import { createRequire } from "node:module";
import type { ValidateFunction } from "ajv";
import { describeErrors, newAjv } from "./ajv.js";

const SCHEMAS_ID = "https://tornade.invalid/octokit-webhooks-schemas.json";

interface Loaded {
  readonly ajv: ReturnType<typeof newAjv>;
  readonly definitions: ReadonlySet<string>;
  readonly validators: Map<string, ValidateFunction>;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const raw: unknown = createRequire(import.meta.url)("@octokit/webhooks-schemas");
  if (typeof raw !== "object" || raw === null || !("definitions" in raw) || typeof raw.definitions !== "object" || raw.definitions === null) {
    throw new Error("@octokit/webhooks-schemas has no definitions; is the package installed?");
  }
  const definitions = structuredClone(raw.definitions) as Record<string, unknown>;
  patchAppPing(definitions);
  const ajv = newAjv();
  // The package's root is `oneOf` every event; only its definitions are wanted, each compiled on first use.
  ajv.addSchema({ $id: SCHEMAS_ID, definitions });
  loaded = { ajv, definitions: new Set(Object.keys(definitions)), validators: new Map() };
  return loaded;
}

/**
 * The one place the community schema is stricter than GitHub: it requires `hook.url` and `hook.ping_url` in every
 * ping, but those are the REST URLs of a repository or organization hook, and a GitHub App's hook has neither. The
 * App ping GitHub sent in octokit/webhooks#3 (https://github.com/octokit/webhooks/issues/3) carries `type: "App"`,
 * `app_id` and no `url` / `ping_url`. So: required for Repository and Organization hooks, not for App hooks.
 */
function patchAppPing(definitions: Record<string, unknown>): void {
  const hook = (definitions["ping$event"] as { properties?: { hook?: { required?: string[] } & Record<string, unknown> } } | undefined)?.properties?.hook;
  if (!hook || !Array.isArray(hook.required)) throw new Error("@octokit/webhooks-schemas changed its ping$event shape; revisit patchAppPing");
  const perHook = ["url", "ping_url"].filter((k) => hook.required?.includes(k));
  hook.required = hook.required.filter((k) => !perHook.includes(k));
  hook.if = { properties: { type: { const: "App" } }, required: ["type"] };
  hook.else = { required: perHook };
}

/**
 * The definition for an event: `ping$event` for events without actions, `workflow_job$<action>` for the rest
 * (an unknown action has no schema, which is itself a finding).
 */
function definitionFor(event: string, payload: unknown, defs: ReadonlySet<string>): string | { error: string } {
  if (defs.has(`${event}$event`)) return `${event}$event`;
  const action = typeof payload === "object" && payload !== null && "action" in payload ? payload.action : undefined;
  if (typeof action !== "string") {
    return defs.has(`${event}_event`) ? { error: `${event}: payload has no string "action"` } : { error: `${event}: no published schema for this event` };
  }
  const name = `${event}$${action}`;
  return defs.has(name) ? name : { error: `${event}: no published schema for action "${action}"` };
}

/** [] when `payload` matches the published schema for `event` (the `X-GitHub-Event` header) and its action. */
export function validateWebhookPayload(event: string, payload: unknown): string[] {
  const l = load();
  const def = definitionFor(event, payload, l.definitions);
  if (typeof def !== "string") return [def.error];
  let v = l.validators.get(def);
  if (!v) {
    v = l.ajv.compile({ $ref: `${SCHEMAS_ID}#/definitions/${def}` });
    l.validators.set(def, v);
  }
  return v(payload) ? [] : describeErrors(`webhook ${def}`, v.errors);
}
