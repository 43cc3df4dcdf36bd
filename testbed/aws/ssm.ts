/**
 * Parameter Store (AWS Systems Manager API Reference: PutParameter, GetParameter, GetParameters, GetParametersByPath,
 * DeleteParameter, DeleteParameters) as far as tornade's runner-credentials handoff uses it. Bodies arrive checked
 * against AWS's model (model.ts); this file adds what the service checks beyond it, each next to its source:
 * - Names: letters, digits and `_ . - /`; a hierarchy starts with "/", at most 15 levels; "aws"/"ssm" reserved as the
 *   first segment; at most 1011 characters with the ARN part before the name ("Requirements and constraints for
 *   parameter names", Systems Manager User Guide).
 * - Tiers ("Managing parameter tiers"): Standard values up to 4 KB, at most 10,000 parameters; Advanced up to 8 KB, at
 *   most 100,000, and only Advanced takes parameter policies. Intelligent-Tiering picks Advanced when the value is over
 *   4 KB or policies are given.
 * - Policies ("Assigning parameter policies"): Expiration deletes the parameter at its Timestamp. AWS enforces it by
 *   periodic scans; the simulator treats an expired parameter as gone from the moment it expires.
 * - Throughput ("Changing Parameter Store throughput"; "AWS Systems Manager endpoints and quotas"): 40 transactions a
 *   second per account and Region at the default setting, shared by GetParameter, GetParameters, GetParametersByPath
 *   and PutParameter; beyond it ThrottlingException "Rate exceeded". DeleteParameter(s) have no published figure and
 *   are not throttled here.
 * - SecureString values are encrypted with the key PutParameter names (default alias/aws/ssm) and decrypted for
 *   GetParameter* WithDecryption, subject to the key's policy (kms.ts); IAM per parameter ARN (iam.ts).
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../../src/clock/clock.js";
import { ACCOUNT } from "./ecs-state.js";
import { authorize, type AuthorizationContext, type Principal } from "./iam.js";
import { AWS_SSM_KEY_ALIAS, type KmsKeys } from "./kms.js";
import { AwsError, epochSeconds } from "./protocol.js";
import type { TokenBucket } from "./quotas.js";

type Body = Record<string, unknown>;

export type ParameterType = "String" | "StringList" | "SecureString";
export type Tier = "Standard" | "Advanced";

export interface ParameterRecord {
  name: string;
  type: ParameterType;
  /** Plaintext for String/StringList; ciphertext (base64) for SecureString. */
  stored: string;
  keyArn?: string;
  tier: Tier;
  version: number;
  lastModified: number;
  /** Clock ms of an Expiration policy. */
  expiresAt?: number;
  policies: string[];
}

export interface SsmState {
  region: string;
  parameters: Map<string, ParameterRecord>;
  keys: KmsKeys;
}

export const STANDARD_MAX_VALUE = 4096;
export const ADVANCED_MAX_VALUE = 8192;
export const STANDARD_MAX_PARAMETERS = 10_000;
export const ADVANCED_MAX_PARAMETERS = 100_000;
const MAX_NAME_WITH_ARN = 1011;
const MAX_LEVELS = 15;
const BATCH_MAX = 10;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const validation = (msg: string) => new AwsError("ValidationException", msg);

export class Ssm {
  constructor(
    readonly state: SsmState,
    private readonly clock: Clock,
    /** The shared 40 TPS of GetParameter(s), GetParametersByPath and PutParameter. */
    private readonly throughput: TokenBucket,
    private readonly auth: AuthorizationContext,
    /** Counts calls made on the account's behalf without an HTTP request (CodeBuild resolving variables). */
    private readonly count: (operation: string, error?: string) => void = () => {},
  ) {}

  arnOf(name: string): string {
    return `arn:aws:ssm:${this.state.region}:${ACCOUNT}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
  }

  private throttle(): void {
    if (!this.throughput.take()) throw new AwsError("ThrottlingException", "Rate exceeded");
  }

  /** The parameter named (a name or its ARN), unless it is missing or expired (expired ones are removed here). */
  private find(ref: string): ParameterRecord | undefined {
    const arnPrefix = `arn:aws:ssm:${this.state.region}:${ACCOUNT}:parameter`;
    const name = ref.startsWith(arnPrefix) ? ref.slice(arnPrefix.length) : ref;
    const p = this.state.parameters.get(name) ?? this.state.parameters.get(name.replace(/^\//, ""));
    if (p && p.expiresAt !== undefined && p.expiresAt <= this.clock.now()) {
      this.state.parameters.delete(p.name);
      return undefined;
    }
    return p;
  }

  /** Removes every expired parameter (what AWS's periodic scan does); answers how many went. */
  expire(): number {
    let n = 0;
    for (const p of [...this.state.parameters.values()]) if (!this.find(p.name)) n++;
    return n;
  }

  putParameter(body: Body, principal: Principal, requestId: string): Body {
    this.throttle();
    const name = str(body.Name) ?? "";
    checkName(name, this.arnOf(name));
    authorize(principal, "ssm:PutParameter", this.arnOf(name), this.auth);
    const value = str(body.Value) ?? "";
    const type = (str(body.Type) ?? "String") as ParameterType;
    const policies = parsePolicies(str(body.Policies));
    const asked = str(body.Tier) ?? "Standard";
    const existing = this.find(name);
    if (existing && body.Overwrite !== true) {
      throw new AwsError("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.");
    }
    const tier: Tier =
      asked === "Intelligent-Tiering" ? (value.length > STANDARD_MAX_VALUE || policies.length > 0 || existing?.tier === "Advanced" ? "Advanced" : "Standard") : (asked as Tier);
    if (tier === "Standard" && existing?.tier === "Advanced") {
      throw validation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.");
    }
    if (tier === "Standard" && value.length > STANDARD_MAX_VALUE) {
      throw validation(
        `Standard tier parameters support a maximum parameter value of ${STANDARD_MAX_VALUE} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html`,
      );
    }
    if (value.length > ADVANCED_MAX_VALUE) throw validation(`Advanced tier parameters support a maximum parameter value of ${ADVANCED_MAX_VALUE} characters.`);
    if (tier === "Standard" && policies.length) throw validation("Parameter policies are supported only for parameters in the advanced-parameter tier.");
    if (!value.length) throw validation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1");
    if (body.KeyId !== undefined && type !== "SecureString") throw validation("KeyId is required for SecureString type parameter only.");
    if (!existing) {
      const count = [...this.state.parameters.values()].filter((p) => p.tier === tier).length;
      if (count >= (tier === "Standard" ? STANDARD_MAX_PARAMETERS : ADVANCED_MAX_PARAMETERS)) {
        throw new AwsError("ParameterLimitExceeded", "You have exceeded the number of parameters for this AWS account. Delete unused parameters and try again.");
      }
    }
    let stored = value;
    let keyArn: string | undefined;
    if (type === "SecureString") {
      const key = this.state.keys.resolve(str(body.KeyId) ?? AWS_SSM_KEY_ALIAS, requestId);
      stored = this.state.keys.encrypt(key, principal, value, requestId);
      keyArn = key.arn;
    }
    const expiration = policies.find((p) => p.type === "Expiration")?.at;
    const record: ParameterRecord = {
      name,
      type,
      stored,
      ...(keyArn ? { keyArn } : {}),
      tier,
      version: (existing?.version ?? 0) + 1,
      lastModified: this.clock.now(),
      // "Updating a parameter does not affect the expiration date or time of the policy attached to it."
      ...(expiration !== undefined ? { expiresAt: expiration } : existing?.expiresAt !== undefined ? { expiresAt: existing.expiresAt } : {}),
      policies: policies.length ? policies.map((p) => p.text) : (existing?.policies ?? []),
    };
    this.state.parameters.set(name, record);
    return { Version: record.version, Tier: tier };
  }

  getParameter(body: Body, principal: Principal, requestId: string): Body {
    this.throttle();
    const ref = str(body.Name) ?? "";
    authorize(principal, "ssm:GetParameter", ref.startsWith("arn:") ? ref : this.arnOf(ref), this.auth);
    const p = this.find(ref);
    if (!p) throw new AwsError("ParameterNotFound", `Parameter ${ref} not found.`);
    return { Parameter: this.toApi(p, body.WithDecryption === true, principal, requestId) };
  }

  getParameters(body: Body, principal: Principal, requestId: string): Body {
    this.throttle();
    const names = (Array.isArray(body.Names) ? body.Names : []).filter((n): n is string => typeof n === "string");
    batchSize("names", names.length);
    for (const n of names) authorize(principal, "ssm:GetParameters", n.startsWith("arn:") ? n : this.arnOf(n), this.auth);
    const Parameters: Body[] = [];
    const InvalidParameters: string[] = [];
    for (const n of names) {
      const p = this.find(n);
      if (p) Parameters.push(this.toApi(p, body.WithDecryption === true, principal, requestId));
      else InvalidParameters.push(n);
    }
    return { Parameters, InvalidParameters };
  }

  getParametersByPath(body: Body, principal: Principal, requestId: string): Body {
    this.throttle();
    const path = str(body.Path) ?? "";
    if (!path.startsWith("/")) throw validation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".");
    authorize(principal, "ssm:GetParametersByPath", this.arnOf(path), this.auth);
    const max = typeof body.MaxResults === "number" ? body.MaxResults : BATCH_MAX;
    if (max < 1 || max > BATCH_MAX) throw validation(`1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${BATCH_MAX}`);
    const base = path.endsWith("/") ? path : `${path}/`;
    const under = [...this.state.parameters.keys()]
      .filter((n) => n.startsWith(base) && (body.Recursive === true || !n.slice(base.length).includes("/")))
      .sort()
      .map((n) => this.find(n))
      .filter((p): p is ParameterRecord => !!p);
    const start = str(body.NextToken) ? Number(Buffer.from(str(body.NextToken) ?? "", "base64").toString()) : 0;
    const page = under.slice(start, start + max);
    return {
      Parameters: page.map((p) => this.toApi(p, body.WithDecryption === true, principal, requestId)),
      ...(start + max < under.length ? { NextToken: Buffer.from(String(start + max)).toString("base64") } : {}),
    };
  }

  deleteParameter(body: Body, principal: Principal): Body {
    const name = str(body.Name) ?? "";
    authorize(principal, "ssm:DeleteParameter", this.arnOf(name), this.auth);
    const p = this.find(name);
    if (!p) throw new AwsError("ParameterNotFound", `Parameter ${name} not found.`);
    this.state.parameters.delete(p.name);
    return {};
  }

  deleteParameters(body: Body, principal: Principal): Body {
    const names = (Array.isArray(body.Names) ? body.Names : []).filter((n): n is string => typeof n === "string");
    batchSize("names", names.length);
    for (const n of names) authorize(principal, "ssm:DeleteParameters", this.arnOf(n), this.auth);
    const DeletedParameters: string[] = [];
    const InvalidParameters: string[] = [];
    for (const n of names) {
      const p = this.find(n);
      if (p) {
        this.state.parameters.delete(p.name);
        DeletedParameters.push(n);
      } else InvalidParameters.push(n);
    }
    return { DeletedParameters, InvalidParameters };
  }

  /**
   * CodeBuild resolving a build's PARAMETER_STORE variables with the project's service role: one GetParameters call
   * (with decryption) per build, counted against the account's throughput like any other. Answers the values by name,
   * or the error CodeBuild reports ("Decrypted Variables Error": "parameter does not exist: NAME", or the SSM/KMS
   * error text).
   */
  resolveForBuild(names: readonly string[], principal: Principal): { values: Map<string, string> } | { error: string } {
    // CodeBuild's own retries on throttling are not published; the call takes a token when one is there and is not
    // refused, so it weighs on the shared throughput without inventing a failure AWS does not document.
    this.throughput.take();
    const values = new Map<string, string>();
    try {
      for (const n of names) {
        authorize(principal, "ssm:GetParameters", this.arnOf(n), this.auth);
        const p = this.find(n);
        if (!p) {
          this.count("GetParameters");
          return { error: `parameter does not exist: ${n}` };
        }
        values.set(n, this.plaintext(p, principal, randomUUID()));
      }
    } catch (e) {
      this.count("GetParameters", e instanceof AwsError ? e.code : "InternalServerError");
      return { error: e instanceof AwsError ? `${e.code}: ${e.message}` : String(e) };
    }
    this.count("GetParameters");
    return { values };
  }

  private plaintext(p: ParameterRecord, principal: Principal, requestId: string): string {
    if (p.type !== "SecureString" || !p.keyArn) return p.stored;
    return this.state.keys.decrypt(this.state.keys.resolve(p.keyArn, requestId), principal, p.stored, requestId);
  }

  private toApi(p: ParameterRecord, decrypt: boolean, principal: Principal, requestId: string): Body {
    return {
      Name: p.name,
      Type: p.type,
      Value: decrypt ? this.plaintext(p, principal, requestId) : p.stored,
      Version: p.version,
      LastModifiedDate: epochSeconds(p.lastModified),
      ARN: this.arnOf(p.name),
      DataType: "text",
    };
  }
}

function batchSize(member: string, n: number): void {
  if (n < 1 || n > BATCH_MAX) {
    throw validation(`1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length between 1 and ${BATCH_MAX}`);
  }
}

export function checkName(name: string, arn: string): void {
  if (!/^[A-Za-z0-9_.\-/]+$/.test(name)) {
    throw validation(`Parameter name: can only contain letters, numbers and the symbols ".-_/" (got "${name}").`);
  }
  if (name.includes("/") && !name.startsWith("/")) throw validation("Parameter name must be a fully qualified name.");
  if (/^\/?(aws|ssm)/i.test(name)) throw validation("Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).");
  if (arn.length > MAX_NAME_WITH_ARN) throw validation(`Parameter name: the name and the ARN before it can have at most ${MAX_NAME_WITH_ARN} characters.`);
  if (name.split("/").filter(Boolean).length > MAX_LEVELS) {
    throw new AwsError("HierarchyLevelLimitExceededException", `A hierarchy can have a maximum of ${MAX_LEVELS} levels.`);
  }
}

interface Policy {
  type: string;
  text: string;
  at?: number;
}

/** PutParameter's Policies: a JSON array of {Type, Version, Attributes}; at most 10. */
function parsePolicies(text: string | undefined): Policy[] {
  if (text === undefined) return [];
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw new AwsError("InvalidPolicyTypeException", "The policy is not valid JSON.");
  }
  if (!Array.isArray(list)) throw new AwsError("InvalidPolicyTypeException", "Parameter policies must be a JSON array.");
  if (list.length > 10) throw new AwsError("PoliciesLimitExceededException", "You specified more than the maximum number of allowed policies for the parameter. The maximum is 10.");
  return list.map((raw: unknown) => {
    const p = (typeof raw === "object" && raw !== null ? raw : {}) as { Type?: unknown; Version?: unknown; Attributes?: { Timestamp?: unknown } };
    const type = typeof p.Type === "string" ? p.Type : "";
    if (!["Expiration", "ExpirationNotification", "NoChangeNotification"].includes(type)) {
      throw new AwsError("InvalidPolicyTypeException", `The policy type ${type || "(none)"} is not supported. Valid types: Expiration, ExpirationNotification, NoChangeNotification.`);
    }
    if (type !== "Expiration") return { type, text: JSON.stringify(raw) };
    const at = typeof p.Attributes?.Timestamp === "string" ? Date.parse(p.Attributes.Timestamp) : NaN;
    if (!Number.isFinite(at)) throw new AwsError("InvalidPolicyAttributeException", "The Expiration policy needs Attributes.Timestamp in ISO_INSTANT or ISO_OFFSET_DATE_TIME format.");
    return { type, text: JSON.stringify(raw), at };
  });
}
