/**
 * CodeBuild reserved-capacity fleets (CodeBuild User Guide, "Run builds on reserved capacity fleets"; API Reference
 * CreateFleet, StartBuild `fleetOverride`). A fleet keeps `baseCapacity` instances of one environment and compute
 * type always up ("The initial number of machines allocated to the fleet, which defines the number of builds that can
 * run in parallel", CreateFleetInput.baseCapacity): a build placed on a free instance skips provisioning — the
 * machine is running and its image is on it — so only the short hand-over (QUEUED) and the runner's own start remain.
 * When every instance is busy, `overflowBehavior` decides (Fleet.overflowBehavior): QUEUE — "your overflow builds
 * need to wait on the existing fleet instance to become available"; ON_DEMAND — "your overflow builds run on
 * CodeBuild on-demand", with an on-demand build's cold boot. Scaling configurations are not modelled: capacity is
 * `baseCapacity`.
 */
import { ACCOUNT } from "./ecs-state.js";
import { AwsError } from "./protocol.js";

export const OVERFLOW_BEHAVIORS = ["QUEUE", "ON_DEMAND"] as const;
export type OverflowBehavior = (typeof OVERFLOW_BEHAVIORS)[number];

export interface FleetRecord {
  readonly name: string;
  readonly arn: string;
  readonly baseCapacity: number;
  readonly overflowBehavior: OverflowBehavior;
  readonly environmentType: string;
  readonly computeType: string;
  /** Builds on the fleet's instances now. */
  readonly busy: Set<string>;
  /** Builds waiting (QUEUE overflow) for an instance, first come first served. */
  readonly waiting: string[];
}

/**
 * The hand-over of a build to a free fleet instance (QUEUED): no figure is published; "builds start immediately"
 * is AWS's claim for reserved capacity, so a second, like the test bed's short phases.
 */
export const FLEET_HANDOVER_MS = 1_000;

/** Where StartBuild puts a build that names a fleet. */
export type Placement =
  /** On a free instance: warm. */
  | { readonly kind: "instance" }
  /** Every instance busy, QUEUE: waits in QUEUED for one. */
  | { readonly kind: "queued" }
  /** Every instance busy, ON_DEMAND: runs on on-demand capacity, cold. */
  | { readonly kind: "on-demand" };

export class Fleets {
  private readonly byName = new Map<string, FleetRecord>();

  constructor(private readonly region: string) {}

  create(input: { name: string; baseCapacity: number; overflowBehavior: OverflowBehavior; environmentType: string; computeType: string }): FleetRecord {
    const fleet: FleetRecord = {
      ...input,
      arn: `arn:aws:codebuild:${this.region}:${ACCOUNT}:fleet/${input.name}:${crypto.randomUUID()}`,
      busy: new Set(),
      waiting: [],
    };
    this.byName.set(input.name, fleet);
    return fleet;
  }

  list(): FleetRecord[] {
    return [...this.byName.values()];
  }

  /** StartBuild `fleetOverride.fleetArn` (ProjectFleet: "the compute fleet ARN"); unknown → an error. */
  find(arn: string): FleetRecord {
    const fleet = this.list().find((f) => f.arn === arn);
    if (!fleet) throw new AwsError("ResourceNotFoundException", `Fleet cannot be found: ${arn}`);
    return fleet;
  }

  /** Places build `id` on `fleet`: an instance if one is free, else by the fleet's overflow behaviour. */
  place(fleet: FleetRecord, id: string): Placement {
    if (fleet.busy.size < fleet.baseCapacity) {
      fleet.busy.add(id);
      return { kind: "instance" };
    }
    if (fleet.overflowBehavior === "ON_DEMAND") return { kind: "on-demand" };
    fleet.waiting.push(id);
    return { kind: "queued" };
  }

  /**
   * Build `id` ended (or was stopped while it waited): its instance is free, and the first build waiting for one gets
   * it. Returns that build's id, for the caller to start it.
   */
  release(id: string): string | undefined {
    for (const fleet of this.byName.values()) {
      const queued = fleet.waiting.indexOf(id);
      if (queued >= 0) fleet.waiting.splice(queued, 1);
      if (!fleet.busy.delete(id)) continue;
      const next = fleet.waiting.shift();
      if (next !== undefined) fleet.busy.add(next);
      return next;
    }
    return undefined;
  }
}
