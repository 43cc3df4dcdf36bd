/**
 * The floor a burst cannot beat: the earliest moment the last of N launches can be accepted under the limits the test
 * bed enforces, each as its source publishes it.
 * - GitHub, secondary limit: at most `pointsPerMinute` points in any minute on one REST endpoint, a POST costing
 *   `writeCost` ("Rate limits for the REST API" → secondary rate limits), so k-th JIT config ≥ floor((k−1)/perMinute)
 *   minutes after the first when the sim counts a sliding minute. Content creation (80/min, 500/h), when turned on,
 *   is the same shape on top.
 * - ECS RunTask: 20 calls a second, burst 20 (one task per call as tornade launches): k-th ≥ (k − 20) / 20 s.
 * - Fargate launches: bucket 100 refilled at 20/s, On-Demand and Spot apart ("AWS Fargate throttling quotas").
 * - SSM Parameter Store: 40 transactions a second shared by GetParameter(s) and PutParameter ("Changing Parameter Store
 *   throughput"); every launch puts one JIT parameter first, so k-th ≥ (k − 40) / 40 s on puts alone (the runners'
 *   reads come a boot later and are not counted here).
 * CodeBuild publishes no StartBuild rate, so CodeBuild jobs are bound only by GitHub and Parameter Store here.
 */
export interface FloorInput {
  FARGATE: number;
  FARGATE_SPOT: number;
  CODEBUILD: number;
  github: { pointsPerMinute: number; writeCost: number; contentCreationPerMinute?: number; contentCreationPerHour?: number };
}

/** Seconds until the k-th (1-based) of a sliding window of `perWindow` per `windowS` seconds. */
function windowed(k: number, perWindow: number, windowS: number): number {
  return k <= 0 || perWindow <= 0 ? 0 : Math.floor((k - 1) / perWindow) * windowS;
}

/** Seconds until the k-th token of a bucket of `capacity` refilled at `perSecond`. */
function bucket(k: number, capacity: number, perSecond: number): number {
  return Math.max(0, (k - capacity) / perSecond);
}

export function floorSeconds(f: FloorInput): { seconds: number; boundBy: string } {
  const total = f.FARGATE + f.FARGATE_SPOT + f.CODEBUILD;
  const ecs = f.FARGATE + f.FARGATE_SPOT;
  const jitPerMinute = Math.floor(f.github.pointsPerMinute / f.github.writeCost);
  const candidates: [string, number][] = [
    [`GitHub ${jitPerMinute} JIT configs/min`, windowed(total, jitPerMinute, 60)],
    ["ECS RunTask 20/s", bucket(ecs, 20, 20)],
    ["Fargate On-Demand 100 + 20/s", bucket(f.FARGATE, 100, 20)],
    ["Fargate Spot 100 + 20/s", bucket(f.FARGATE_SPOT, 100, 20)],
    ["Parameter Store 40/s", bucket(total, 40, 40)],
  ];
  const perMin = f.github.contentCreationPerMinute ?? 0;
  const perHour = f.github.contentCreationPerHour ?? 0;
  if (perMin > 0) candidates.push([`GitHub content creation ${perMin}/min`, windowed(total, perMin, 60)]);
  if (perHour > 0) candidates.push([`GitHub content creation ${perHour}/h`, windowed(total, perHour, 3600)]);
  let best: [string, number] = candidates[0]!;
  for (const c of candidates) if (c[1] > best[1]) best = c;
  return { seconds: best[1], boundBy: best[0] };
}
