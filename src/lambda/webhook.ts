/**
 * Webhook function behind a Lambda function URL: verify, dedupe, store, enqueue — and answer at once; the worker
 * function launches. Function URLs deliver the API Gateway HTTP API payload format 2.0 ("Lambda function URLs" →
 * "Invocation payloads", https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html), which Hono's adapter
 * turns into a Request for the same app `tornade serve` runs. The function is wired for intake only
 * (wiring.ts wireIntake): it holds the webhook secret and never the App's private key.
 */
import { handle, type APIGatewayProxyResult, type ApiGatewayRequestContextV2 } from "hono/aws-lambda";
import { intakeServices, type IntakeServices } from "./wiring.js";

/** Payload format 2.0, as a function URL sends it (routeKey is "$default"; body is absent for an empty request). */
export interface FunctionUrlEvent {
  readonly version: string;
  readonly routeKey: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly headers: Record<string, string | undefined>;
  readonly cookies?: string[];
  readonly body?: string | null;
  readonly isBase64Encoded: boolean;
  /** A URL with AuthType NONE (GitHub cannot sign SigV4) sends no authorizer; tornade verifies the HMAC instead. */
  readonly requestContext: Omit<ApiGatewayRequestContextV2, "authentication" | "authorizer"> &
    Partial<Pick<ApiGatewayRequestContextV2, "authentication" | "authorizer">>;
}
export type FunctionUrlResult = APIGatewayProxyResult;

export function webhookHandler(s: Pick<IntakeServices, "app">): (event: FunctionUrlEvent) => Promise<FunctionUrlResult> {
  const adapter = handle(s.app);
  return (event) =>
    adapter({
      ...event,
      body: event.body ?? null,
      requestContext: { authentication: null, authorizer: {}, ...event.requestContext },
    });
}

export const handler = async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => webhookHandler(await intakeServices())(event);
