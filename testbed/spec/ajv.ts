/**
 * The one Ajv set-up both GitHub validators share, and the way their errors are worded.
 */
import { Ajv, type ErrorObject } from "ajv";
import addFormatsModule, { type FormatsPlugin } from "ajv-formats";

// ajv-formats is CommonJS with `exports.default`; under NodeNext TypeScript types the default import as the module
// object, while at run time it may be either the plugin or that object.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as unknown as FormatsPlugin;

/**
 * strict: false because GitHub's descriptions carry vendor keywords (`x-github-breaking-changes`, `deprecated`,
 * `tsAdditionalProperties` in the webhook schemas) that say nothing about validity and must not stop compilation.
 * allErrors so one answer reports every mismatch, not only the first.
 */
export function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  return ajv;
}

/** "/runner/id must be integer", naming the offending member for additionalProperties and required. */
export function describeErrors(prefix: string, errors: readonly ErrorObject[] | null | undefined): string[] {
  if (!errors?.length) return [`${prefix}: invalid`];
  const out = errors.map((e) => {
    const at = e.instancePath || "/";
    const p = e.params as Record<string, unknown>;
    const extra =
      typeof p.additionalProperty === "string" ? ` (${p.additionalProperty})` : Array.isArray(p.allowedValues) ? ` (${p.allowedValues.map(String).join(", ")})` : "";
    return `${prefix}: ${at} ${e.message ?? "is invalid"}${extra}`;
  });
  return [...new Set(out)];
}
