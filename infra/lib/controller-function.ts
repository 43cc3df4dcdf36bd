/**
 * One of tornade's Lambda functions: the handler file from src/lambda bundled locally with esbuild (never in Docker,
 * so synth works offline), its own role and log group, and no AWS managed policy.
 */
import { aws_iam as iam, aws_lambda as lambda, aws_lambda_nodejs as nodejs, aws_logs as logs, Duration, RemovalPolicy } from "aws-cdk-lib";
import { Construct } from "constructs";
import { handlerEntry, LOCK_FILE, REPO_ROOT, type HandlerName } from "./paths.js";

/** Node.js 24 is the newest Lambda runtime aws-cdk-lib knows; the bundle is plain JavaScript with no native module. */
export const CONTROLLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface ControllerFunctionProps {
  readonly name: HandlerName;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize?: number;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  /** Prebuilt code instead of bundling src/lambda/NAME.ts (tests; or your own build). Handler `index.handler`. */
  readonly code?: lambda.Code;
  /** The file to bundle; default src/lambda/NAME.ts. */
  readonly entry?: string;
  /** Concurrent executions reserved for (and the most allowed to) this function; default the account's shared pool. */
  readonly reservedConcurrency?: number;
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
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 512,
      role: this.role,
      logGroup: this.logGroup,
      environment: { NODE_OPTIONS: "--enable-source-maps", ...props.environment },
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrency }),
      // The AWS Parameters and Secrets Lambda Extension serves GetSecretValue on http://localhost:2773 (with the
      // function's own role, cached), so the handlers read the secrets named by TORNADE_*_SECRET_ARN with a plain
      // fetch and no Secrets Manager SDK ("Use AWS Secrets Manager secrets in AWS Lambda functions").
      paramsAndSecrets: lambda.ParamsAndSecretsLayerVersion.fromVersion(lambda.ParamsAndSecretsVersions.V1_0_103, {
        cacheEnabled: true,
        logLevel: lambda.ParamsAndSecretsLogLevel.WARN,
      }),
    };
    this.fn = props.code
      ? new lambda.Function(this, "Function", { ...common, code: props.code, handler: "index.handler" })
      : new nodejs.NodejsFunction(this, "Function", {
          ...common,
          entry: props.entry ?? handlerEntry(props.name),
          handler: "handler",
          projectRoot: REPO_ROOT,
          depsLockFilePath: LOCK_FILE,
          bundling: {
            forceDockerBundling: false,
            format: nodejs.OutputFormat.ESM,
            // The oldest Node tornade supports, so the bundle also loads where tests run it; Lambda runs Node 24.
            target: "node20",
            sourceMap: true,
            minify: true,
            // ESM output still meets CommonJS dependencies (pino, the AWS SDK's internals) that call require().
            banner: "import { createRequire as __tornadeRequire } from 'node:module'; const require = __tornadeRequire(import.meta.url);",
            // Nothing external: the AWS SDK is bundled at the versions tornade is tested with, not the runtime's copy.
            // better-sqlite3 (the embedded store, reached through controller/build.ts) is bundled as JavaScript only:
            // it loads its native addon when a database is opened, which serverless mode never does.
            externalModules: [],
          },
        });
  }
}
