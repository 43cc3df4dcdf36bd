/**
 * What AWS Lambda does around tornade's handlers, done here over real HTTP and the real SQS API so the handlers see
 * the event shapes AWS documents:
 * - a function URL: an HTTP server that turns each request into a payload-format-2.0 event ("Lambda function URLs"
 *   → "Request payload format", https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html) and the handler's
 *   result back into the response;
 * - an SQS event source mapping: ReceiveMessage, a batch of Records ("Using Lambda with Amazon SQS" → example SQS
 *   message event, https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html), then DeleteMessage for every record
 *   not named in batchItemFailures.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { FunctionUrlEvent, FunctionUrlResult } from "../../src/lambda/webhook.js";
import type { SqsBatchResponse, SqsEvent, SqsEventRecord } from "../../src/lambda/worker.js";

export interface FunctionUrl {
  readonly url: string;
  readonly invocations: number;
  close(): Promise<void>;
}

export async function startFunctionUrl(handler: (event: FunctionUrlEvent) => Promise<FunctionUrlResult>): Promise<FunctionUrl> {
  let invocations = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      invocations++;
      const result = await handler(functionUrlEvent(req, body));
      res.writeHead(result.statusCode, Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])));
      res.end(result.isBase64Encoded ? Buffer.from(result.body, "base64") : result.body);
    })().catch((e: unknown) => {
      // Lambda answers 502 when the function throws.
      res.writeHead(502).end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get invocations() {
      return invocations;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The docs' example writes <url-id>; a real one is 32 lowercase letters and digits. */
const URL_ID = "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6";

/** The documented example request, with this request's method, path, headers and body. */
export function functionUrlEvent(req: IncomingMessage, body: string): FunctionUrlEvent {
  const url = new URL(req.url ?? "/", "http://function.url");
  const now = new Date();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : v;
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    headers,
    requestContext: {
      accountId: "anonymous",
      apiId: URL_ID,
      domainName: `${URL_ID}.lambda-url.us-east-1.on.aws`,
      domainPrefix: URL_ID,
      http: { method: req.method ?? "GET", path: url.pathname, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: headers["user-agent"] ?? "" },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body,
    isBase64Encoded: false,
  };
}

export interface EventSourceMapping {
  /** Batches handed to the function so far. */
  readonly batches: number;
  /** Records the function reported failed. */
  readonly failures: number;
  stop(): Promise<void>;
}

/** Polls the queue as Lambda's SQS poller does and invokes `handler` with up to `batchSize` records per batch. */
export function startEventSource(
  sqs: SQSClient,
  queueUrl: string,
  handler: (event: SqsEvent) => Promise<SqsBatchResponse>,
  opts: { batchSize?: number; visibilityTimeoutS?: number } = {},
): EventSourceMapping {
  let running = true;
  let batches = 0;
  let failures = 0;
  const arn = `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split("/").pop() ?? "queue"}`;
  const loop = (async () => {
    while (running) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: opts.batchSize ?? 10,
          VisibilityTimeout: opts.visibilityTimeoutS ?? 60,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ["All"],
        }),
      );
      if (!Messages?.length) {
        await new Promise((r) => setTimeout(r, 25));
        continue;
      }
      const Records: SqsEventRecord[] = Messages.map((m) => ({
        messageId: m.MessageId ?? "",
        receiptHandle: m.ReceiptHandle ?? "",
        body: m.Body ?? "",
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
          SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: m.Attributes?.SenderId ?? "000000000000",
          ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? "",
        eventSource: "aws:sqs",
        eventSourceARN: arn,
        awsRegion: "us-east-1",
      }));
      batches++;
      const { batchItemFailures } = await handler({ Records });
      failures += batchItemFailures.length;
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      for (const m of Messages) {
        if (!failed.has(m.MessageId ?? "")) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    }
  })();
  return {
    get batches() {
      return batches;
    },
    get failures() {
      return failures;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}
