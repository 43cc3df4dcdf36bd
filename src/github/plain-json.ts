/**
 * GitHub's successful JSON answers parsed with JSON.parse. @octokit/request 10 parses every answer with
 * json-with-bigint, which keeps integers past 2^53 exact by a regular-expression pass over the text and a reviver
 * call for every value: 9× JSON.parse on a job (36 µs against 4), 10–20× on a page of 100 workflow runs (10 ms on
 * Node 24 and 19 ms on Node 20, against 1 ms; `docs/performance.md` "GitHub's answers parsed plainly"). Such a page,
 * which the sweeper asks for, held the event loop that answers webhooks for those milliseconds and left the garbage
 * of a second copy of the text. Nothing tornade reads from GitHub comes near 2^53: its ids are ~10^10 and are kept as
 * numbers anyway. Answers tornade does not parse (a caller asking for the body as a stream, errors, which Octokit
 * still parses for its message) are left as Octokit makes them.
 */
import type { Octokit } from "@octokit/core";

type Options = { request?: { parseSuccessResponseBody?: boolean } };

/** An Octokit plugin (`Octokit.plugin(plainJson)`). */
export function plainJson(octokit: Octokit): void {
  // The options objects this hook switched to a raw body: a try after the first sees its own switch, not a caller's.
  const ours = new WeakSet<object>();
  octokit.hook.wrap("request", async (request, options) => {
    const opts = options as unknown as Options;
    if (!ours.has(opts) && opts.request?.parseSuccessResponseBody === false) return request(options);
    ours.add(opts);
    // In place: before-after-hook binds the hooks inside this one (auth-app's) to this object, not to options passed on.
    opts.request = { ...opts.request, parseSuccessResponseBody: false };
    const response = await request(options);
    const body: unknown = response.data;
    // 204, 205 and HEAD answers come with no body stream (Octokit returns before reading one).
    if (body instanceof ReadableStream) response.data = await readBody(body, response.headers["content-type"]);
    return response;
  });
}

/** What Octokit would have made of the body (@octokit/request's getResponseData): JSON parsed (its text when it is not JSON), text, or bytes. */
async function readBody(body: ReadableStream, contentType: string | undefined): Promise<unknown> {
  const raw = new Response(body);
  if (contentType === undefined) return raw.text();
  const [mime = "", ...params] = contentType.toLowerCase().split(";").map((s) => s.trim());
  if (mime === "application/json" || mime === "application/scim+json") {
    const text = await raw.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  if (mime.startsWith("text/") || (params.includes("charset=utf-8") && mime !== "application/octet-stream")) return raw.text();
  return raw.arrayBuffer();
}
