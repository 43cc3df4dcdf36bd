/**
 * Token buckets for AWS's request and launch quotas, on the shared clock so compressed time refills them faster.
 *
 * Figures (AWS docs, "AWS Fargate throttling quotas",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/throttling.html):
 * - Fargate task launches: a bucket of 100 tokens refilled at 20 per second, one bucket for On-Demand tasks and a
 *   separate one for Spot tasks; each launched task takes a token.
 * - RunTask on Fargate: 20 calls per second, burst and sustained, per account and Region; each call takes a token
 *   (a call may launch up to 10 tasks).
 * - Parameter Store: 40 transactions a second per account and Region at the default throughput, shared by
 *   GetParameter, GetParameters, GetParametersByPath and PutParameter ("Changing Parameter Store throughput",
 *   https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-throughput.html; "AWS Systems Manager
 *   endpoints and quotas"). Higher throughput is a paid account setting (parameterStorePerSecond up to 10,000).
 * Beyond any of them, AWS answers ThrottlingException "Rate exceeded".
 */
import type { Clock } from "../../src/clock/clock.js";

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    readonly capacity: number,
    readonly refillPerSecond: number,
  ) {
    this.tokens = capacity;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.refillPerSecond);
      this.last = now;
    }
  }

  /** Takes `n` tokens if all are there; takes nothing and answers false otherwise. */
  take(n = 1): boolean {
    this.refill();
    if (this.tokens + 1e-9 < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Tokens available now (fractional). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Back to a full bucket (tests start a scenario from a fresh account). */
  reset(): void {
    this.tokens = this.capacity;
    this.last = this.clock.now();
  }
}

export interface Quotas {
  runTaskPerSecond: number;
  fargateBurst: number;
  fargateRefillPerSecond: number;
  parameterStorePerSecond: number;
}

export const DEFAULT_QUOTAS: Quotas = { runTaskPerSecond: 20, fargateBurst: 100, fargateRefillPerSecond: 20, parameterStorePerSecond: 40 };

export class AwsQuotas {
  readonly runTask: TokenBucket;
  readonly onDemand: TokenBucket;
  readonly spot: TokenBucket;
  /** Transactions per second, burst and sustained alike (AWS publishes one figure). */
  readonly parameterStore: TokenBucket;

  constructor(clock: Clock, q: Quotas) {
    // "20 calls per second (burst and sustained)": a bucket of 20 refilled at 20/s.
    this.runTask = new TokenBucket(clock, q.runTaskPerSecond, q.runTaskPerSecond);
    this.onDemand = new TokenBucket(clock, q.fargateBurst, q.fargateRefillPerSecond);
    this.spot = new TokenBucket(clock, q.fargateBurst, q.fargateRefillPerSecond);
    this.parameterStore = new TokenBucket(clock, q.parameterStorePerSecond, q.parameterStorePerSecond);
  }

  launchBucket(capacityProvider: "FARGATE" | "FARGATE_SPOT"): TokenBucket {
    return capacityProvider === "FARGATE_SPOT" ? this.spot : this.onDemand;
  }

  reset(): void {
    this.runTask.reset();
    this.onDemand.reset();
    this.spot.reset();
    this.parameterStore.reset();
  }
}
