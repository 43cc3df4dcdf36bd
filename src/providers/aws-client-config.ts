/**
 * The settings every AWS SDK client tornade makes shares: region, endpoint override, credentials, and deadlines. The
 * SDK's Node handler has none by default ("Defaults to 0, which disables the timeout"), so an endpoint that accepts a
 * connection and then goes silent (a NAT gateway that dropped its state, a proxy that hung) would hold a worker for as
 * long as the socket lives. With a deadline the try fails as a TimeoutError, which the SDK's standard retry strategy
 * retries as transient and tornade's launch errors classify as such (providers/launch-errors.ts); RunTask and
 * StartBuild carry idempotency tokens (providers/idempotency.ts), so a try cut off after it landed is not a second
 * task.
 */
/** A request with no answer by then is cut off: many times an ECS, CodeBuild, SSM or DynamoDB call's usual second. */
export const AWS_REQUEST_TIMEOUT_MS = 30_000;
/** A connection not established by then is given up (a TCP handshake to a regional endpoint takes milliseconds). */
export const AWS_CONNECTION_TIMEOUT_MS = 5_000;

export interface AwsClientSettings {
  readonly region: string;
  readonly endpoint?: string | undefined;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  /** Default AWS_REQUEST_TIMEOUT_MS; a long poll (SQS ReceiveMessage) needs its wait on top. */
  readonly requestTimeoutMs?: number;
  readonly connectionTimeoutMs?: number;
  /** The SDK's own tries per call (its default is 3). */
  readonly maxAttempts?: number;
}

/** A client configuration for any @aws-sdk/client-*: `new ECSClient(awsClientConfig({ region }))`. */
export function awsClientConfig(s: AwsClientSettings) {
  return {
    region: s.region,
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    ...(s.credentials ? { credentials: s.credentials } : {}),
    ...(s.maxAttempts ? { maxAttempts: s.maxAttempts } : {}),
    requestHandler: {
      connectionTimeout: s.connectionTimeoutMs ?? AWS_CONNECTION_TIMEOUT_MS,
      requestTimeout: s.requestTimeoutMs ?? AWS_REQUEST_TIMEOUT_MS,
      // Without it a breached requestTimeout is only logged as a warning (the handler's old socket-idle meaning).
      throwOnRequestTimeout: true,
    },
  };
}
