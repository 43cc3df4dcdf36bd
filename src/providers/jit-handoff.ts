/**
 * The channel a JIT runner config travels by from tornade to its one runner: a one-time SSM SecureString parameter
 * (why SSM and not KMS envelope encryption, and what it costs: docs/security.md, "Runner credentials").
 *
 * - put: one PutParameter per launch, Advanced tier (a real encoded config is ~4.0–4.2 KB, at or over the Standard
 *   tier's 4 KB; Advanced takes 8 KB and is the tier with parameter policies), encrypted with the configured KMS key,
 *   with an Expiration policy as the backstop for a parameter nobody deletes. The name is unguessable: the runner's
 *   name plus an HMAC of the launch's idempotency key under a key only this process holds. So a repeated launch of the
 *   same attempt (RunTask clientToken / StartBuild idempotencyToken must see the same parameters) writes the same
 *   name, and nobody who knows the runner's name can derive it.
 * - discard: DeleteParameters, ten names a call, for launches whose runner will never read its parameter (RunTask
 *   failed, the task stopped before its runner ran). A name already gone is no error.
 * The runner reads and deletes the parameter itself (runner-image/entrypoint.sh); CodeBuild resolves it natively.
 */
import { createHmac, randomBytes } from "node:crypto";
import { DeleteParametersCommand, PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { jitParameterExpiresAt, jitParameterName } from "../core/runner-env.js";
import { awsErrorToLaunchError } from "./launch-errors.js";
import { LaunchError } from "./provider.js";

/** What a provider needs to hand a runner its JIT config. */
export interface JitHandoff {
  /** Stores one launch's JIT config; answers the parameter's name, which is all the runner is told. */
  put(launch: { readonly idempotencyKey: string; readonly runnerName: string; readonly jitConfig: string }): Promise<string>;
  /**
   * The name put() gives a launch's parameter, without writing it: a standby is told it at launch and polls for it
   * (docs/standby.md).
   */
  nameFor(idempotencyKey: string, runnerName: string): string;
  /**
   * Writes a job's JIT config to a standby's parameter (named by nameFor when the standby was launched, and kept on its
   * launch row, since the replica handing off may not be the one that launched it). `runnerName` is the job's runner.
   */
  handTo(parameter: string, launch: { readonly runnerName: string; readonly jitConfig: string }): Promise<void>;
  /**
   * Deletes parameters no runner will read. Never throws: a failure is reported through the handoff's own warning
   * (the launch's outcome does not depend on it) and the parameter's expiry takes over.
   */
  discard(names: readonly string[]): Promise<void>;
}

export interface SsmJitHandoffOptions {
  readonly client: SSMClient;
  /** Parameter name prefix ("/tornade/jit/"); the runner roles may read and delete only under it. */
  readonly prefix: string;
  /** KMS key id, ARN, alias name or alias ARN. */
  readonly kmsKeyId: string;
  /** How long a runner may take to boot; the parameter expires a margin after that. */
  readonly bootTimeoutMs: number;
  readonly now: () => number;
  /** Keys the name's suffix; default 32 random bytes of this process. */
  readonly nameKey?: Buffer;
  /** Told when a delete fails (the names, never values); default silent. */
  readonly warn?: (message: string, names: readonly string[]) => void;
}

/** DeleteParameters takes at most 10 names (SSM API Reference, DeleteParameters `Names`). */
const DELETE_BATCH = 10;

export class SsmJitHandoff implements JitHandoff {
  private readonly nameKey: Buffer;

  constructor(private readonly opts: SsmJitHandoffOptions) {
    this.nameKey = opts.nameKey ?? randomBytes(32);
  }

  nameFor(idempotencyKey: string, runnerName: string): string {
    const suffix = createHmac("sha256", this.nameKey).update(idempotencyKey).digest("hex").slice(0, 32);
    return jitParameterName(this.opts.prefix, runnerName, suffix);
  }

  async put(launch: { idempotencyKey: string; runnerName: string; jitConfig: string }): Promise<string> {
    const name = this.nameFor(launch.idempotencyKey, launch.runnerName);
    await this.handTo(name, launch);
    return name;
  }

  async handTo(name: string, launch: { runnerName: string; jitConfig: string }): Promise<void> {
    const expires = new Date(jitParameterExpiresAt(this.opts.now(), this.opts.bootTimeoutMs)).toISOString();
    try {
      await this.opts.client.send(
        new PutParameterCommand({
          Name: name,
          Value: launch.jitConfig,
          Type: "SecureString",
          KeyId: this.opts.kmsKeyId,
          Tier: "Advanced",
          // A repeat of the same launch (same idempotency key) writes the same value again.
          Overwrite: true,
          Policies: JSON.stringify([{ Type: "Expiration", Version: "1.0", Attributes: { Timestamp: expires } }]),
          Description: `tornade: JIT config of runner ${launch.runnerName}; read once and deleted by that runner`,
        }),
      );
    } catch (e) {
      throw withHint(awsErrorToLaunchError("SSM", "PutParameter", e), this.opts.kmsKeyId);
    }
  }

  async discard(names: readonly string[]): Promise<void> {
    for (let i = 0; i < names.length; i += DELETE_BATCH) {
      const batch = names.slice(i, i + DELETE_BATCH);
      try {
        // Names already gone come back in InvalidParameters: the runner read and deleted them, as it should.
        await this.opts.client.send(new DeleteParametersCommand({ Names: batch }));
      } catch (e) {
        this.opts.warn?.(`could not delete unread JIT parameters (they expire on their own): ${awsErrorToLaunchError("SSM", "DeleteParameters", e).message}`, batch);
      }
    }
  }
}

/** A key SSM cannot use (missing, or not the controller's to encrypt with) says which setting to fix. */
function withHint(err: LaunchError, kmsKeyId: string): LaunchError {
  if (!/InvalidKeyId|kms:|AWSKMS/.test(err.message)) return err;
  return new LaunchError(
    err.kind,
    `${err.message} — the JIT config is encrypted with KMS key "${kmsKeyId}" (aws.jitConfig.kmsKeyId, TORNADE_JITCONFIG_KMS_KEY_ID): create it or name one the controller may encrypt with and only the runner roles may decrypt (docs/deploy-aws.md)`,
    { cause: err.cause },
  );
}

/**
 * The parameter to delete after a launch call failed: only when AWS surely started nothing. A "transient" failure
 * (5xx, or no answer at all) may hide a task or build that did start and will read it; the retry with the same
 * idempotency key then finds the same launch and the same parameter, and expiry covers the rest.
 */
export function parameterToDiscard(err: LaunchError, parameter: string): string[] {
  return err.kind === "transient" ? [] : [parameter];
}
