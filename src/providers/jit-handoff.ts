/**
 * The channel a JIT runner config travels by from tornade to its one runner: a one-time SSM SecureString parameter
 * (why SSM and not KMS envelope encryption, and what it costs: docs/security.md, "Runner credentials").
 *
 * - put: one PutParameter per launch, Advanced tier (a real encoded config is ~4.0–4.2 KB, at or over the Standard
 *   tier's 4 KB; Advanced takes 8 KB and is the tier with parameter policies), encrypted with the configured KMS key,
 *   with an Expiration policy as the backstop for a parameter nobody deletes. The name is unguessable: the runner's
 *   name plus an HMAC of it under a key derived from tornade's GitHub credential (jitNameKey). Runner names are unique
 *   per launch, so a repeated launch of the same attempt (RunTask clientToken / StartBuild idempotencyToken must see
 *   the same parameters) writes the same name; nobody who knows the runner's name but not the credential can derive
 *   it; and every replica, and the next life of a process SIGKILLed between PutParameter and RunTask, can name (and
 *   delete) a parameter it did not write.
 * - discard: DeleteParameters, ten names a call, for launches whose runner will never read its parameter (RunTask
 *   failed, the task stopped before its runner ran). A name already gone is no error.
 * The runner reads and deletes the parameter itself (runner-image/entrypoint.sh); CodeBuild resolves it natively.
 */
import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { DeleteParametersCommand, PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { jitParameterExpiresAt, jitParameterName } from "../core/runner-env.js";
import { awsErrorToLaunchError } from "./launch-errors.js";
import { LaunchError, type LaunchState } from "./provider.js";

/** What a provider needs to hand a runner its JIT config. */
export interface JitHandoff {
  /** Stores one launch's JIT config; answers the parameter's name, which is all the runner is told. */
  put(launch: { readonly runnerName: string; readonly jitConfig: string }): Promise<string>;
  /**
   * The name put() gives a launch's parameter, without writing it: a standby is told it at launch and polls for it
   * (docs/standby.md); a launch abandoned after a crash has it deleted (Launcher.abandon).
   */
  nameFor(runnerName: string): string;
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
  /**
   * Keys the name's suffix: jitNameKey of the GitHub credential, the same in every replica and after a restart.
   * Default: 32 random bytes of this process (for a process that only deletes the names tasks were told of).
   */
  readonly nameKey?: Buffer;
  /** Told when a delete fails (the names, never values); default silent. */
  readonly warn?: (message: string, names: readonly string[]) => void;
}

/**
 * The key parameter names are derived with, from a secret every replica of one deployment holds (the App's private key,
 * or the personal token): HKDF-SHA256, so the name reveals nothing of the secret and no other use of it shares the key.
 */
export function jitNameKey(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "tornade", "jit-parameter-names/v1", 32));
}

/** DeleteParameters takes at most 10 names (SSM API Reference, DeleteParameters `Names`). */
const DELETE_BATCH = 10;

export class SsmJitHandoff implements JitHandoff {
  private readonly nameKey: Buffer;

  constructor(private readonly opts: SsmJitHandoffOptions) {
    this.nameKey = opts.nameKey ?? randomBytes(32);
  }

  nameFor(runnerName: string): string {
    const suffix = createHmac("sha256", this.nameKey).update(runnerName).digest("hex").slice(0, 32);
    return jitParameterName(this.opts.prefix, runnerName, suffix);
  }

  async put(launch: { runnerName: string; jitConfig: string }): Promise<string> {
    const name = this.nameFor(launch.runnerName);
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
 * Whether a stopped runner's parameter may still exist, so that it is deleted: a runner that never ran, or ended in
 * failure, may not have read (and deleted) it; a standby's may have been written again after its runner read it (a
 * handoff write whose answer was lost lands twice: docs/standby.md), however it ended.
 */
export function mayHoldUnread(state: LaunchState, standby: boolean): boolean {
  return state.status === "stopped" && (state.succeeded !== true || standby);
}

/**
 * The parameter to delete after a launch call failed: only when AWS surely started nothing. A "transient" failure
 * (5xx, or no answer at all) may hide a task or build that did start and will read it; the retry with the same
 * idempotency key then finds the same launch and the same parameter, and expiry covers the rest.
 */
export function parameterToDiscard(err: LaunchError, parameter: string): string[] {
  return err.kind === "transient" ? [] : [parameter];
}
