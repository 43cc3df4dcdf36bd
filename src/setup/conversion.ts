/**
 * Exchanges the manifest flow's temporary code for the new App's credentials:
 * POST /app-manifests/{code}/conversions ("Create a GitHub App from a manifest", docs.github.com/rest/apps/apps).
 * The call needs no authentication; the code is single-use and expires after one hour. The answer is external data,
 * so it is validated here before anything is written.
 */
import { z } from "zod";

const Conversion = z.object({
  id: z.number().int().positive(),
  slug: z.string().min(1).optional(),
  name: z.string().min(1),
  html_url: z.url(),
  owner: z.object({ login: z.string() }).nullable().optional(),
  pem: z.string().includes("PRIVATE KEY"),
  webhook_secret: z.string().min(1).nullable(),
});

export interface CreatedApp {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly htmlUrl: string;
  readonly owner: string | null;
  readonly pem: string;
  readonly webhookSecret: string | null;
}

export class ConversionError extends Error {
  override readonly name = "ConversionError";
}

export async function convertManifestCode(apiBaseUrl: string, code: string, fetchImpl: typeof fetch = fetch): Promise<CreatedApp> {
  const url = `${apiBaseUrl.replace(/\/+$/, "")}/app-manifests/${encodeURIComponent(code)}/conversions`;
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: "POST",
      headers: { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "user-agent": "tornade-setup" },
    });
  } catch (e) {
    throw new ConversionError(`cannot reach GitHub at ${apiBaseUrl} (${(e as Error).message}). Fix: check github.baseUrl and the network`);
  }
  if (res.status === 404 || res.status === 422) {
    throw new ConversionError(`GitHub refused the code (HTTP ${res.status}): it expires after one hour and works once. Fix: start again at /setup`);
  }
  if (res.status !== 201) throw new ConversionError(`GitHub answered HTTP ${res.status} to the manifest conversion. Fix: try again at /setup`);
  const parsed = Conversion.safeParse(await res.json().catch(() => null));
  if (!parsed.success) throw new ConversionError(`GitHub's answer lacks ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`);
  const a = parsed.data;
  return { id: a.id, slug: a.slug ?? String(a.id), name: a.name, htmlUrl: a.html_url, owner: a.owner?.login ?? null, pem: a.pem, webhookSecret: a.webhook_secret };
}
