/**
 * An HTTP proxy in front of a local AWS emulator that records every request an AWS SDK client makes through it: the
 * operation (the JSON protocols' `X-Amz-Target` header, e.g. "DynamoDB_20120810.PutItem") and the JSON body. What
 * IAM would be asked to authorize, seen on the wire, without stubbing the client.
 */
import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedCall {
  /** "DynamoDB_20120810.GetItem", "AmazonSQS.SendMessage". */
  readonly target: string;
  readonly body: Record<string, unknown>;
}

export interface RecordingProxy {
  readonly endpoint: string;
  readonly calls: RecordedCall[];
  close(): Promise<void>;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startRecordingProxy(upstream: string): Promise<RecordingProxy> {
  const target = new URL(upstream);
  const calls: RecordedCall[] = [];
  const server = createServer((req, res) => {
    void readAll(req).then((body) => {
      const text = body.toString("utf8");
      calls.push({ target: String(req.headers["x-amz-target"] ?? ""), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
      const forward = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on("error", (e) => res.writeHead(502).end(String(e)));
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
