/**
 * The environment the construct gives tornade's Lambda functions. Names already read by src/config/env.ts are reused
 * as they are; the serverless ones (store, queue, secrets by ARN) are read by src/lambda's wiring. Kept in one place
 * so a rename is one edit, and documented in docs/deploy-aws.md.
 */
export const ENV = {
  appId: "APP_ID",
  launchLabel: "LAUNCH_LABEL",
  cluster: "TORNADE_ECS_CLUSTER",
  subnets: "TORNADE_SUBNETS",
  securityGroups: "TORNADE_SECURITY_GROUPS",
  assignPublicIp: "TORNADE_ASSIGN_PUBLIC_IP",
  taskDefinitionX86: "TORNADE_TASK_DEFINITION_X86_64",
  taskDefinitionArm: "TORNADE_TASK_DEFINITION_ARM64",
  containerName: "TORNADE_CONTAINER_NAME",
  codebuildProjectX86: "TORNADE_CODEBUILD_PROJECT_X86_64",
  codebuildProjectArm: "TORNADE_CODEBUILD_PROJECT_ARM64",
  runnerScope: "TORNADE_RUNNER_SCOPE",
  runnerGroupId: "TORNADE_RUNNER_GROUP_ID",
  allowedRepositories: "TORNADE_ALLOWED_REPOSITORIES",
  allowedOrganizations: "TORNADE_ALLOWED_ORGANIZATIONS",
  defaultBackend: "TORNADE_DEFAULT_BACKEND",
  /** The runners' one-time JIT parameters: their prefix and the key they are encrypted with (runner-credentials.ts). */
  jitParameterPrefix: "TORNADE_JITCONFIG_PARAMETER_PREFIX",
  jitKmsKeyId: "TORNADE_JITCONFIG_KMS_KEY_ID",
  /** Serverless mode: DynamoDB store and SQS queue. */
  storeKind: "TORNADE_STORE",
  table: "TORNADE_DYNAMODB_TABLE",
  queueKind: "TORNADE_QUEUE",
  queueUrl: "TORNADE_SQS_QUEUE_URL",
  /**
   * Secrets Manager ARNs; the functions read the values at cold start (never in the function's configuration). The
   * webhook function is given the webhook secret's only (serverless-controller.ts).
   */
  privateKeySecretArn: "TORNADE_PRIVATE_KEY_SECRET_ARN",
  webhookSecretArn: "TORNADE_WEBHOOK_SECRET_ARN",
} as const;
