/**
 * Schema validation that does not stop at the schema. zod reports every field it refuses, but a refused parse gives
 * no configuration to run the cross-field checks on (private key, what serve needs, the pool …), so a person would
 * fix one round of problems only to meet the next. Here the refused values are set aside and the rest parsed again
 * (each set-aside key then takes its default), so loadConfig can name every problem at once.
 */
import type { z } from "zod";
import { ConfigSchema, type Config } from "./schema.js";

export interface LenientParse {
  /** The configuration without the refused values; undefined when even that does not parse. */
  readonly config: Config | undefined;
  /** zod's issues with the configuration as given: the problems to report. */
  readonly issues: readonly z.core.$ZodIssue[];
  /** Dotted keys (array indexes dropped) whose values were set aside: later checks about them would only repeat. */
  readonly setAside: readonly string[];
}

/** Rounds of setting aside: a set-aside value inside an array or object may leave its parent invalid in turn. */
const MAX_ROUNDS = 8;

export function parseLeniently(input: Record<string, unknown>): LenientParse {
  const first = ConfigSchema.safeParse(input);
  if (first.success) return { config: first.data, issues: [], setAside: [] };
  const data = structuredClone(input);
  const removed = new Set<string>();
  let issues = first.error.issues;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (const path of issues.flatMap(pathsOf)) setAside(data, path, removed);
    const again = ConfigSchema.safeParse(data);
    if (again.success) return { config: again.data, issues: first.error.issues, setAside: keysOf(removed) };
    issues = again.error.issues;
  }
  return { config: undefined, issues: first.error.issues, setAside: keysOf(removed) };
}

function pathsOf(issue: z.core.$ZodIssue): PropertyKey[][] {
  if (issue.code === "unrecognized_keys") return issue.keys.map((k) => [...issue.path, k]);
  return [issue.path];
}

/** Deletes the value at `path`; if it was deleted before (its removal did not help), deletes its parent instead. */
function setAside(data: Record<string, unknown>, path: readonly PropertyKey[], removed: Set<string>): void {
  let p = [...path];
  while (p.length > 0 && removed.has(p.map(String).join("."))) p = p.slice(0, -1);
  if (p.length === 0) return;
  removed.add(p.map(String).join("."));
  let parent: unknown = data;
  for (const key of p.slice(0, -1)) {
    if (typeof parent !== "object" || parent === null) return;
    parent = (parent as Record<PropertyKey, unknown>)[key];
  }
  if (typeof parent === "object" && parent !== null) delete (parent as Record<PropertyKey, unknown>)[p[p.length - 1] as PropertyKey];
}

function keysOf(removed: Set<string>): string[] {
  return [...new Set([...removed].map((k) => k.split(".").filter((part) => !/^\d+$/.test(part)).join(".")))];
}
