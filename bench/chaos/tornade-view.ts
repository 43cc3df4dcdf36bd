/**
 * tornade's own account of each job, read from its dashboard API (GET /api/state, docs/dashboard.md) at the end of a
 * run: a lost job's evidence then says what tornade believed, next to what GitHub and AWS saw.
 */
import { z } from "zod";

const StateView = z.object({
  jobs: z.array(
    z.object({
      id: z.number(),
      state: z.string(),
      reason: z.string().nullable(),
      launches: z.number(),
    }),
  ),
});

/** Job id → "state: reason (n launches)"; empty when tornade does not answer (the evidence then says so). */
export async function tornadeView(url: string): Promise<Map<number, string>> {
  try {
    const res = await fetch(`${url}/api/state`, { signal: AbortSignal.timeout(10_000) });
    const parsed = StateView.safeParse(await res.json());
    if (!parsed.success) return new Map();
    return new Map(parsed.data.jobs.map((j) => [j.id, `${j.state}${j.reason ? `: ${j.reason}` : ""} (${j.launches} launches)`]));
  } catch {
    return new Map();
  }
}
