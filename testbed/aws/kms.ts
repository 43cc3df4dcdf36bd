/**
 * The account's KMS keys as Parameter Store uses them for SecureString values, and who may use each ("How AWS Systems
 * Manager Parameter Store uses AWS KMS", AWS KMS Developer Guide):
 * - `alias/aws/ssm`, the AWS managed key SSM uses when PutParameter names none. Its key policy (written by AWS) lets
 *   every principal of the account use it through SSM (kms:ViaService ssm.REGION.amazonaws.com): whoever may call
 *   ssm:GetParameter may decrypt.
 * - tornade's customer managed key (DEFAULT_JIT_KMS_KEY): the controller may encrypt with it, only the runner role may
 *   decrypt (infra/lib/runner-credentials.ts writes that key policy).
 * Values are really encrypted (AES-256-GCM under a per-key secret of the simulator), so an answer without decryption
 * shows ciphertext, never the value.
 * Errors carry KMS's own words as SSM passes them on: an unknown key "Alias arn:… is not found." / "Key 'arn:…' does not
 * exist" (InvalidKeyId), and a decryption refused "The ciphertext refers to a customer master key that does not exist,
 * does not exist in this region, or you are not allowed to access." (AccessDeniedException), each with SSM's
 * "(Service: AWSKMS; Status Code: 400; Error Code: …)" suffix.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";
import { DEFAULT_JIT_KMS_KEY } from "../../src/core/runner-env.js";
import { ACCOUNT } from "./ecs-state.js";
import type { Principal, PrincipalName } from "./iam.js";
import { AwsError } from "./protocol.js";

export interface KmsKey {
  readonly keyId: string;
  readonly arn: string;
  readonly aliases: readonly string[];
  /** "account": anyone in the account through SSM (AWS managed keys); otherwise the principals the key policy names. */
  readonly encrypters: "account" | readonly PrincipalName[];
  readonly decrypters: "account" | readonly PrincipalName[];
  readonly secret: Buffer;
}

export const AWS_SSM_KEY_ALIAS = "alias/aws/ssm";

export class KmsKeys {
  private readonly keys: KmsKey[] = [];

  constructor(readonly region: string) {}

  /** The keys every simulated account starts with: aws/ssm and tornade's runner key. */
  static withDefaults(region: string): KmsKeys {
    const k = new KmsKeys(region);
    k.add({ aliases: [AWS_SSM_KEY_ALIAS], encrypters: "account", decrypters: "account" });
    k.add({ aliases: [DEFAULT_JIT_KMS_KEY], encrypters: ["operator"], decrypters: ["runner"] });
    return k;
  }

  add(spec: { aliases: string[]; encrypters: KmsKey["encrypters"]; decrypters: KmsKey["decrypters"] }): KmsKey {
    const keyId = randomUUID();
    const key: KmsKey = { keyId, arn: `arn:aws:kms:${this.region}:${ACCOUNT}:key/${keyId}`, secret: randomBytes(32), ...spec };
    this.keys.push(key);
    return key;
  }

  /** A key by id, key ARN, alias name or alias ARN, as PutParameter's KeyId takes it. */
  resolve(keyId: string, requestId: string): KmsKey {
    const aliasArnPrefix = `arn:aws:kms:${this.region}:${ACCOUNT}:`;
    const ref = keyId.startsWith(aliasArnPrefix) && keyId.slice(aliasArnPrefix.length).startsWith("alias/") ? keyId.slice(aliasArnPrefix.length) : keyId;
    const found = this.keys.find((k) => k.keyId === ref || k.arn === ref || k.aliases.includes(ref));
    if (found) return found;
    const text = ref.startsWith("alias/") ? `Alias ${aliasArnPrefix}${ref} is not found.` : `Key '${ref.startsWith("arn:") ? ref : `${aliasArnPrefix}key/${ref}`}' does not exist`;
    throw new AwsError("InvalidKeyId", `${text} ${kmsSuffix("NotFoundException", requestId)}`);
  }

  encrypt(key: KmsKey, principal: Principal, plaintext: string, requestId: string): string {
    if (!may(key.encrypters, principal)) {
      throw new AwsError(
        "AccessDeniedException",
        `User: ${principal.arn} is not authorized to perform: kms:GenerateDataKey on resource: ${key.arn} because no resource-based policy allows the kms:GenerateDataKey action ${kmsSuffix("AccessDeniedException", requestId)}`,
      );
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key.secret, iv);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return Buffer.concat([Buffer.from(key.keyId), iv, cipher.getAuthTag(), body]).toString("base64");
  }

  decrypt(key: KmsKey, principal: Principal, ciphertext: string, requestId: string): string {
    if (!may(key.decrypters, principal)) {
      throw new AwsError(
        "AccessDeniedException",
        `The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access. ${kmsSuffix("AccessDeniedException", requestId)}`,
      );
    }
    const raw = Buffer.from(ciphertext, "base64");
    const at = key.keyId.length;
    const decipher = createDecipheriv("aes-256-gcm", key.secret, raw.subarray(at, at + 12));
    decipher.setAuthTag(raw.subarray(at + 12, at + 28));
    return Buffer.concat([decipher.update(raw.subarray(at + 28)), decipher.final()]).toString("utf8");
  }
}

function may(who: KmsKey["encrypters"], principal: Principal): boolean {
  return who === "account" || who.includes(principal.name);
}

function kmsSuffix(code: string, requestId: string): string {
  return `(Service: AWSKMS; Status Code: 400; Error Code: ${code}; Request ID: ${requestId}; Proxy: null)`;
}
