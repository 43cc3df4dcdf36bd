/**
 * AWS's API models for the operations the simulator serves (ECS, CodeBuild, SSM Parameter Store) (fixtures written by scripts/extract-aws-models.ts from the
 * `aws-sdk` v2 package's apis/*.min.json, enum values from the v3 clients), and a validator over them.
 *
 * The validator checks what the model states: required members, member types (string, integer, long, double,
 * boolean, timestamp, list, map, structure), enum values, unknown members. The .min.json models carry no min/max
 * traits, so length and range limits the services document (e.g. count 1..10, clientToken up to 64 characters) are
 * enforced by the operation handlers instead, next to the docs page they follow.
 */
import { readFileSync } from "node:fs";

export type Service = "ecs" | "codebuild" | "ssm";

export type Shape =
  | { type: "structure"; members: Record<string, Shape>; required?: string[] }
  | { type: "list"; member: Shape }
  | { type: "map"; key: Shape; value: Shape }
  | { type: "string"; enum?: string[]; idempotencyToken?: true }
  | { type: "integer" | "long" | "double" | "float" | "boolean" | "timestamp" | "blob" }
  | { ref: string };

export interface ServiceModel {
  source: { package: string; file: string; enums: string };
  metadata: { apiVersion: string; targetPrefix: string; jsonVersion: string; serviceId: string };
  /** Exception names the v3 client knows for this service. */
  errors: string[];
  operations: Record<string, { input: string; output: string }>;
  shapes: Record<string, Shape>;
}

function load(file: string): ServiceModel {
  return JSON.parse(readFileSync(new URL(`./models/${file}`, import.meta.url), "utf8")) as ServiceModel;
}

export const models: Record<Service, ServiceModel> = { ecs: load("ecs.json"), codebuild: load("codebuild.json"), ssm: load("ssm.json") };

/** One problem found, with the path into the body ("overrides.containerOverrides[0].environment"). */
export interface ValidationIssue {
  /** "required" | "type" | "enum" | "unknown" */
  kind: "required" | "type" | "enum" | "unknown";
  path: string;
  message: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function check(model: ServiceModel, shape: Shape, value: unknown, path: string, out: ValidationIssue[]): void {
  if ("ref" in shape) {
    const target = model.shapes[shape.ref];
    if (!target) throw new Error(`model ${model.metadata.serviceId} lacks shape ${shape.ref}`);
    return check(model, target, value, path, out);
  }
  const where = path || "(body)";
  const typeIssue = (expected: string) =>
    out.push({ kind: "type", path, message: `${where}: expected ${expected}, got ${value === null ? "null" : Array.isArray(value) ? "list" : typeof value}` });
  switch (shape.type) {
    case "structure": {
      if (!isRecord(value)) return void typeIssue("structure");
      for (const req of shape.required ?? []) {
        if (value[req] === undefined || value[req] === null) {
          out.push({ kind: "required", path: join(path, req), message: `${join(path, req)}: member must not be null` });
        }
      }
      for (const [k, v] of Object.entries(value)) {
        const member = shape.members[k];
        if (!member) {
          out.push({ kind: "unknown", path: join(path, k), message: `${join(path, k)}: unknown member` });
          continue;
        }
        if (v === null || v === undefined) continue; // JSON 1.1 treats null members as absent
        check(model, member, v, join(path, k), out);
      }
      return;
    }
    case "list":
      if (!Array.isArray(value)) return void typeIssue("list");
      value.forEach((v, i) => check(model, shape.member, v, `${path}[${i}]`, out));
      return;
    case "map":
      if (!isRecord(value)) return void typeIssue("map");
      for (const [k, v] of Object.entries(value)) {
        check(model, shape.key, k, `${path}{key}`, out);
        check(model, shape.value, v, `${path}.${k}`, out);
      }
      return;
    case "string":
      if (typeof value !== "string") return void typeIssue("string");
      if (shape.enum && !shape.enum.includes(value)) {
        out.push({ kind: "enum", path, message: `${where}: '${value}' is not one of [${shape.enum.join(", ")}]` });
      }
      return;
    case "integer":
    case "long":
      if (typeof value !== "number" || !Number.isInteger(value)) typeIssue(shape.type);
      return;
    case "double":
    case "float":
      if (typeof value !== "number") typeIssue(shape.type);
      return;
    case "timestamp":
      // JSON 1.1 sends timestamps as epoch seconds (a number, fractions allowed).
      if (typeof value !== "number") typeIssue("timestamp (epoch seconds)");
      return;
    case "boolean":
      if (typeof value !== "boolean") typeIssue("boolean");
      return;
    case "blob":
      if (typeof value !== "string") typeIssue("blob (base64 string)");
      return;
  }
}

function join(path: string, member: string): string {
  return path ? `${path}.${member}` : member;
}

function operationShape(service: Service, operation: string, which: "input" | "output"): { model: ServiceModel; shape: Shape } {
  const model = models[service];
  const op = model.operations[operation];
  if (!op) throw new Error(`${service} operation ${operation} is not in the extracted model`);
  return { model, shape: { ref: op[which] } };
}

/** Checks a request body against the operation's input shape. */
export function validateInput(service: Service, operation: string, body: unknown): ValidationIssue[] {
  const { model, shape } = operationShape(service, operation, "input");
  const out: ValidationIssue[] = [];
  check(model, shape, body, "", out);
  return out;
}

/** Checks a response body against the operation's output shape: the simulator's answers must be AWS-shaped. */
export function validateOutput(service: Service, operation: string, body: unknown): ValidationIssue[] {
  const { model, shape } = operationShape(service, operation, "output");
  const out: ValidationIssue[] = [];
  check(model, shape, body, "", out);
  return out;
}

/** True if the operation is in the extracted model (and so served by the simulator). */
export function hasOperation(service: Service, operation: string): boolean {
  return Object.hasOwn(models[service].operations, operation);
}
