/**
 * Webhook delivery as GitHub does it ("Webhook events and payloads" → Delivery headers; "Handling failed webhook
 * deliveries"): a JSON POST signed with X-Hub-Signature-256 (HMAC-SHA256 hex of the raw body) and the legacy
 * X-Hub-Signature (SHA-1); a delivery that answers non-2xx, times out (10 s) or cannot connect is failed and is NOT
 * retried automatically; it can be redelivered through the API with the same X-GitHub-Delivery GUID.
 * Faults (drop, duplicate, delay, reorder) are applied to new deliveries, never to redeliveries.
 */
import { createHmac, randomUUID } from "node:crypto";
import type { Clock } from "../../src/clock/clock.js";
import type { DeliveryRecord } from "./types.js";

export interface DeliveryInfo {
  event: string;
  action: string | null;
  jobId: number | null;
  jobName: string | null;
}
/** Which deliveries a fault hits: the next N, those matching fields, or those a function picks. */
export type DeliverySelector = number | Partial<DeliveryInfo> | ((d: DeliveryInfo) => boolean);

interface Fault {
  kind: "drop" | "duplicate" | "delay" | "reorder";
  remaining: number;
  test: (d: DeliveryInfo) => boolean;
  ms: number;
  record: boolean;
}

interface Pending {
  info: DeliveryInfo;
  guid: string;
  rawBody: string;
  payload: Record<string, unknown>;
  installationId: number | null;
  repositoryId: number | null;
  redelivery: boolean;
  duplicate: boolean;
}

export interface DispatcherOptions {
  clock: Clock;
  secret: string;
  hookId: number;
  appId: number;
  timeoutMs: number;
  url: () => string | null;
  /** Deliveries in flight at once (default 1: in order, one after another). */
  concurrency?: number;
}

/** GitHub's hookshot user agent carries a short build hash. */
const USER_AGENT = "GitHub-Hookshot/7d4a2c1";

export class WebhookDispatcher {
  readonly deliveries: DeliveryRecord[] = [];
  private nextId = 90_000_000_001;
  private readonly queue: Pending[] = [];
  private faults: Fault[] = [];
  private held: Pending[] = [];
  private heldTimer: ReturnType<Clock["setTimeout"]> | null = null;
  private outOfBand = 0;
  /** Deliveries being posted right now. */
  private sending = 0;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly o: DispatcherOptions) {}

  addFault(kind: Fault["kind"], which: DeliverySelector, opts: { ms?: number; record?: boolean } = {}): void {
    const remaining = typeof which === "number" ? which : Number.POSITIVE_INFINITY;
    const test =
      typeof which === "number"
        ? () => true
        : typeof which === "function"
          ? which
          : (d: DeliveryInfo) => Object.entries(which).every(([k, v]) => d[k as keyof DeliveryInfo] === v);
    this.faults.push({ kind, remaining, test, ms: opts.ms ?? 0, record: opts.record ?? true });
  }

  clearFaults(): void {
    this.faults = [];
    this.flushHeld();
  }

  private take(kind: Fault["kind"], info: DeliveryInfo): Fault | null {
    const f = this.faults.find((x) => x.kind === kind && x.remaining > 0 && x.test(info));
    if (!f) return null;
    f.remaining--;
    return f;
  }

  /** Queues a new delivery of `event`; nothing happens when no webhook URL is set (an App without a webhook). */
  send(info: DeliveryInfo, payload: Record<string, unknown>, installationId: number | null, repositoryId: number | null): void {
    if (this.closed || !this.o.url()) return;
    const p: Pending = {
      info,
      guid: randomUUID(),
      rawBody: JSON.stringify(payload),
      payload,
      installationId,
      repositoryId,
      redelivery: false,
      duplicate: false,
    };
    const drop = this.take("drop", info);
    if (drop) {
      // A dropped delivery is one the receiver never got: recorded as failed (so the API shows it and it can be
      // redelivered), or with record:false lost without a trace, as when GitHub itself has an incident.
      if (drop.record) this.record(p, 0, "failed to connect to host", {}, null, 0);
      return;
    }
    const copies = this.take("duplicate", info) ? [p, { ...p, duplicate: true }] : [p];
    for (const c of copies) this.route(c);
  }

  private route(p: Pending): void {
    const delay = this.take("delay", p.info);
    if (delay) {
      this.outOfBand++;
      this.o.clock.setTimeout(() => {
        this.outOfBand--;
        this.queue.push(p);
        void this.pump();
      }, delay.ms);
      return;
    }
    const reorder = this.take("reorder", p.info);
    if (reorder) {
      this.held.push(p);
      // Held deliveries go out in reverse order once the fault's count is reached, or after the hold window.
      if (reorder.remaining === 0) this.flushHeld();
      else if (!this.heldTimer) this.heldTimer = this.o.clock.setTimeout(() => this.flushHeld(), reorder.ms || 5_000);
      return;
    }
    this.queue.push(p);
    void this.pump();
  }

  private flushHeld(): void {
    if (this.heldTimer) this.o.clock.clearTimeout(this.heldTimer);
    this.heldTimer = null;
    const held = this.held.reverse();
    this.held = [];
    this.queue.push(...held);
    void this.pump();
  }

  /** POST /app/hook/deliveries/{id}/attempts: the same GUID and body, marked as a redelivery. */
  redeliver(id: number): boolean {
    const d = this.deliveries.find((x) => x.id === id);
    if (!d) return false;
    this.queue.push({
      info: { event: d.event, action: d.action, jobId: d.jobId, jobName: null },
      guid: d.guid,
      rawBody: d.rawBody,
      payload: d.payload,
      installationId: d.installationId,
      repositoryId: d.repositoryId,
      redelivery: true,
      duplicate: false,
    });
    void this.pump();
    return true;
  }

  /** Keeps up to `concurrency` senders draining the queue; each posts one delivery after another. */
  private async pump(): Promise<void> {
    if (this.sending >= Math.max(1, this.o.concurrency ?? 1)) return;
    this.sending++;
    try {
      for (let p = this.queue.shift(); p; p = this.queue.shift()) await this.post(p);
    } finally {
      this.sending--;
      this.notify();
    }
  }

  private async post(p: Pending): Promise<void> {
    const url = this.o.url();
    if (!url || this.closed) return;
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      "x-github-event": p.info.event,
      "x-github-delivery": p.guid,
      "x-github-hook-id": String(this.o.hookId),
      "x-github-hook-installation-target-type": "integration",
      "x-github-hook-installation-target-id": String(this.o.appId),
      "x-hub-signature": "sha1=" + createHmac("sha1", this.o.secret).update(p.rawBody).digest("hex"),
      "x-hub-signature-256": "sha256=" + createHmac("sha256", this.o.secret).update(p.rawBody).digest("hex"),
    };
    const started = performance.now();
    try {
      const res = await fetch(url, { method: "POST", headers, body: p.rawBody, signal: AbortSignal.timeout(this.o.timeoutMs) });
      const text = (await res.text()).slice(0, 4096);
      const status = res.ok ? "OK" : `Invalid HTTP Response: ${res.status}`;
      this.record(p, res.status, status, Object.fromEntries(res.headers), text, (performance.now() - started) / 1000, headers);
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      this.record(p, 0, timedOut ? "timed out" : "failed to connect to host", {}, null, (performance.now() - started) / 1000, headers);
    }
  }

  private record(
    p: Pending,
    statusCode: number,
    status: string,
    responseHeaders: Record<string, string>,
    responseBody: string | null,
    duration: number,
    requestHeaders: Record<string, string> = {},
  ): void {
    this.deliveries.push({
      id: this.nextId++,
      guid: p.guid,
      deliveredAt: this.o.clock.now(),
      redelivery: p.redelivery,
      duplicate: p.duplicate,
      duration,
      status,
      statusCode,
      event: p.info.event,
      action: p.info.action,
      installationId: p.installationId,
      repositoryId: p.repositoryId,
      jobId: p.info.jobId,
      requestHeaders,
      payload: p.payload,
      rawBody: p.rawBody,
      responseHeaders,
      responseBody,
    });
  }

  private busy(): boolean {
    return this.sending > 0 || this.queue.length > 0 || this.held.length > 0 || this.outOfBand > 0;
  }

  private notify(): void {
    if (this.busy()) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once nothing is queued, held, delayed or in flight. */
  idle(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.held = [];
    if (this.heldTimer) this.o.clock.clearTimeout(this.heldTimer);
    this.outOfBand = 0;
    this.notify();
  }
}
