/**
 * How runners receive their JIT configs (docs/security.md, "Runner credentials"): one-time SSM SecureString parameters
 * under a prefix of tornade's own, encrypted with a customer managed KMS key.
 * - The controller may put and delete parameters under the prefix and have SSM encrypt with the key; it may not read
 *   them back.
 * - The runner roles (the ECS task role, the CodeBuild project roles) may get and delete parameters under the prefix
 *   and have SSM decrypt with the key. Nobody gets ssm:DescribeParameters or ssm:GetParametersByPath: a job on one
 *   runner, holding its role, cannot list the parameters of the others (their names carry an HMAC nobody can derive).
 * - The key's policy names exactly these principals for use, each only through SSM (kms:ViaService) and only for
 *   parameters under the prefix (kms:EncryptionContext:PARAMETER_ARN, the context Parameter Store encrypts with). The
 *   account keeps administration of the key but gets no use of it: an IAM policy granting kms:Decrypt on "*" (an
 *   administrator's, say) does not reach it, and AWS's ReadOnlyAccess (which has ssm:GetParameter) decrypts nothing.
 * Advanced parameters are envelope-encrypted (AWS Encryption SDK): PutParameter needs kms:GenerateDataKey, GetParameter
 * kms:Decrypt ("AWS KMS encryption for AWS Systems Manager Parameter Store SecureString parameters").
 */
import { aws_iam as iam, aws_kms as kms, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { Construct } from "constructs";

export interface RunnerCredentialsProps {
  /** Parameter name prefix, starting and ending with "/" (tornade's aws.jitConfig.parameterPrefix, default /tornade/jit/). */
  readonly parameterPrefix: string;
  /** The key's alias (tornade's default aws.jitConfig.kmsKeyId, alias/tornade-runner-jitconfig). */
  readonly keyAlias: string;
}

/** A role that only reads runner parameters: the ECS task role reads one itself; CodeBuild resolves it for the build. */
export type RunnerReader = { readonly role: iam.IRole; readonly reads: "GetParameter" | "GetParameters" };

export class RunnerCredentials extends Construct {
  readonly key: kms.Key;
  readonly parameterPrefix: string;
  /** arn:aws:ssm:REGION:ACCOUNT:parameter/tornade/jit/* */
  readonly parametersArn: string;

  constructor(scope: Construct, id: string, props: RunnerCredentialsProps) {
    super(scope, id);
    this.parameterPrefix = props.parameterPrefix;
    const stack = Stack.of(this);
    this.parametersArn = stack.formatArn({ service: "ssm", resource: "parameter", resourceName: `${this.parameterPrefix.replace(/^\//, "")}*` });
    this.key = new kms.Key(this, "Key", {
      description: "tornade: encrypts runners' one-time JIT config parameters; only the runner roles may decrypt",
      alias: props.keyAlias,
      enableKeyRotation: true,
      // Parameters live minutes and are single-use: nothing of value is lost with the key.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
      // Replaces CDK's default policy (the account may use the key through IAM): administration only.
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: "AccountAdministersButDoesNotUse",
            principals: [new iam.AccountRootPrincipal()],
            actions: [
              "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
              "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
              "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
            ],
            resources: ["*"],
          }),
        ],
      }),
    });
  }

  /** Conditions every use of the key carries: through SSM, for a parameter under the prefix. */
  private get viaSsm(): Record<string, Record<string, string>> {
    return {
      StringEquals: { "kms:ViaService": `ssm.${Stack.of(this).region}.amazonaws.com` },
      StringLike: { "kms:EncryptionContext:PARAMETER_ARN": this.parametersArn },
    };
  }

  /** The controller: writes and deletes parameters, encrypts; never reads. */
  grantWrite(role: iam.IPrincipal): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "WriteRunnerJitParameters",
        actions: ["ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters"],
        resources: [this.parametersArn],
      }),
    );
    this.allowKey(role, "kms:GenerateDataKey", "EncryptRunnerJitParameters");
  }

  /**
   * The events function: deletes the parameters of runners an event reports stopped unread (src/providers
   * takeEvent); it writes none, so it neither puts nor encrypts.
   */
  grantDiscard(role: iam.IPrincipal): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: "DeleteUnreadJitParameters", actions: ["ssm:DeleteParameters"], resources: [this.parametersArn] }));
  }

  /** A runner role: reads (GetParameter itself, or GetParameters through CodeBuild) and deletes its parameter. */
  grantRead(reader: RunnerReader): void {
    reader.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ReadAndDeleteOwnJitParameter",
        actions: [`ssm:${reader.reads}`, "ssm:DeleteParameter"],
        resources: [this.parametersArn],
      }),
    );
    this.allowKey(reader.role, "kms:Decrypt", "DecryptRunnerJitParameters");
  }

  /** The same use, in the role's policy and in the key's (which alone decides: it does not delegate use to IAM). */
  private allowKey(role: iam.IPrincipal, action: string, sid: string): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions: [action], resources: [this.key.keyArn], conditions: this.viaSsm }));
    this.key.addToResourcePolicy(new iam.PolicyStatement({ principals: [role], actions: [action], resources: ["*"], conditions: this.viaSsm }));
  }

}
