/**
 * One of tornade's Lambda functions: a handler of the bundle tornade's build made (tornade-package.ts; nothing is
 * bundled at synth, so synth needs neither esbuild nor Docker), its own role and log group, and no AWS managed policy.
 */
import { aws_iam as iam, aws_lambda as lambda, aws_logs as logs, Duration, RemovalPolicy } from "aws-cdk-lib";
import { Construct } from "constructs";
import type { HandlerName } from "./tornade-package.js";
import { SERVE_NODE_OPTIONS } from "tornade/config";

/** Node.js 24 is the newest Lambda runtime aws-cdk-lib knows; the bundle is plain JavaScript with no native module. */
export const CONTROLLER_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const CONTROLLER_ARCHITECTURE = lambda.Architecture.ARM_64;
/** The AWS Parameters and Secrets Lambda Extension's layer the functions read their secrets through. */
export const SECRETS_EXTENSION_VERSION = lambda.ParamsAndSecretsVersions.V1_0_103;

export interface ControllerFunctionProps {
  readonly name: HandlerName;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize?: number;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  /**
   * The code: tornade's bundle (every handler in one asset, shared by the four functions), whose handler is
   * `NAME.handler`; or code of your own (`own`, tests or your own build) whose handler is `index.handler`.
   */
  readonly code: { readonly bundle: lambda.Code } | { readonly own: lambda.Code };
  /** Concurrent executions reserved for (and the most allowed to) this function; default the account's shared pool. */
  readonly reservedConcurrency?: number;
  /** Whether the function reads secrets (and so carries the extension that serves them); default true. */
  readonly readsSecrets?: boolean;
}

export class ControllerFunction extends Construct {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ControllerFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, "Logs", { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `tornade ${props.name} function`,
    });
    // In place of AWSLambdaBasicExecutionRole (which may write to any log group): this function's group only.
    this.logGroup.grantWrite(this.role);
    const common = {
      description: props.description,
      runtime: CONTROLLER_RUNTIME,
      architecture: CONTROLLER_ARCHITECTURE,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 512,
      role: this.role,
      logGroup: this.logGroup,
      environment: { NODE_OPTIONS: `--enable-source-maps ${SERVE_NODE_OPTIONS}`, ...props.environment },
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrency }),
      // The AWS Parameters and Secrets Lambda Extension serves GetSecretValue on http://localhost:2773 (with the
      // function's own role, cached), so the handlers read the secrets named by TORNADE_*_SECRET_ARN with a plain
      // fetch and no Secrets Manager SDK ("Use AWS Secrets Manager secrets in AWS Lambda functions").
      ...(props.readsSecrets === false
        ? {}
        : {
            paramsAndSecrets: lambda.ParamsAndSecretsLayerVersion.fromVersion(SECRETS_EXTENSION_VERSION, {
              cacheEnabled: true,
              logLevel: lambda.ParamsAndSecretsLogLevel.WARN,
            }),
          }),
    };
    const [code, handler] = "bundle" in props.code ? [props.code.bundle, `${props.name}.handler`] : [props.code.own, "index.handler"];
    this.fn = new lambda.Function(this, "Function", { ...common, code, handler });
  }
}
