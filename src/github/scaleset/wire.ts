/**
 * What the runner scale set API puts on the wire, as zod schemas: member names are the json tags of the public
 * client's types (actions/scaleset types.go; "RunnerSetting" is capitalised there), checked against the test bed's
 * fixture of those types by wire.test.ts. Only what tornade reads is required; members the service always sends but
 * tornade does not act on default when missing, since Go's decoder would take a zero value too. Unknown members are
 * dropped (the service may add some).
 */
import { z } from "zod";

/**
 * An RFC 3339 time as epoch ms; null for Go's zero time.Time ("0001-01-01T00:00:00Z", what a non-pointer time field
 * holds when the service has no value) or an empty string.
 */
const goTime = z.string().transform((s, ctx) => {
  if (s === "" || s.startsWith("0001-01-01")) return null;
  const t = Date.parse(s);
  if (!Number.isFinite(t)) {
    ctx.addIssue({ code: "custom", message: `not an RFC 3339 time: ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return t;
});

const int = z.number().int();
const count = int.nonnegative();

export const StatisticsWire = z.object({
  totalAvailableJobs: count,
  totalAcquiredJobs: count,
  totalAssignedJobs: count,
  totalRunningJobs: count,
  totalRegisteredRunners: count,
  totalBusyRunners: count,
  totalIdleRunners: count,
});

export const LabelWire = z.object({ type: z.string().default("System"), name: z.string().min(1) });

export const RunnerSettingWire = z.object({
  ephemeral: z.boolean().optional(),
  isElastic: z.boolean().optional(),
  disableUpdate: z.boolean().optional(),
});

export const RunnerScaleSetWire = z.object({
  id: int.positive(),
  name: z.string().min(1),
  runnerGroupId: int.nonnegative().default(0),
  runnerGroupName: z.string().default(""),
  labels: z.array(LabelWire).default([]),
  RunnerSetting: RunnerSettingWire.default({}),
  createdOn: goTime.optional(),
  runnerJitConfigUrl: z.string().default(""),
  statistics: StatisticsWire.nullish(),
});

export const RunnerScaleSetListWire = z.object({ count: count, value: z.array(RunnerScaleSetWire).default([]) });

export const RunnerGroupWire = z.object({
  id: int.positive(),
  name: z.string(),
  size: int.nonnegative().default(0),
  isDefaultGroup: z.boolean().default(false),
});

export const RunnerGroupListWire = z.object({ count: count, value: z.array(RunnerGroupWire).default([]) });

export const RunnerReferenceWire = z.object({
  id: int.positive(),
  name: z.string(),
  runnerScaleSetId: int.nonnegative().default(0),
});

export const RunnerReferenceListWire = z.object({ count: count, value: z.array(RunnerReferenceWire).default([]) });

export const JitRunnerConfigWire = z.object({
  runner: RunnerReferenceWire,
  encodedJITConfig: z.string().min(1),
});

export const SessionWire = z.object({
  sessionId: z.uuid(),
  ownerName: z.string().default(""),
  runnerScaleSet: RunnerScaleSetWire.nullish(),
  messageQueueUrl: z.url(),
  messageQueueAccessToken: z.string().min(1),
  statistics: StatisticsWire.nullish(),
});

/** One poll's message: a batch of job messages as a JSON array in a string, with the statistics of now. */
export const MessageWire = z.object({
  messageId: int.positive(),
  messageType: z.string(),
  body: z.string().default(""),
  statistics: StatisticsWire,
});

/** `acquirejobs` answers the request ids it acquired (types.go Int64List). */
export const Int64ListWire = z.object({ count: count, value: z.array(int).default([]) });

/** JobMessageBase (types.go): what every job message carries. */
const JobBase = {
  runnerRequestId: int.positive(),
  repositoryName: z.string().default(""),
  ownerName: z.string().default(""),
  jobId: z.string().default(""),
  jobWorkflowRef: z.string().default(""),
  jobDisplayName: z.string().default(""),
  workflowRunId: int.nonnegative().default(0),
  eventName: z.string().default(""),
  requestLabels: z.array(z.string()).default([]),
  queueTime: goTime.default(null),
  scaleSetAssignTime: goTime.default(null),
  runnerAssignTime: goTime.default(null),
  finishTime: goTime.default(null),
};

export const JobAvailableWire = z.object({ ...JobBase, messageType: z.literal("JobAvailable"), acquireJobUrl: z.string().default("") });
export const JobAssignedWire = z.object({ ...JobBase, messageType: z.literal("JobAssigned") });
export const JobStartedWire = z.object({ ...JobBase, messageType: z.literal("JobStarted"), runnerId: int.nonnegative(), runnerName: z.string() });
export const JobCompletedWire = z.object({
  ...JobBase,
  messageType: z.literal("JobCompleted"),
  result: z.string(),
  runnerId: int.nonnegative().default(0),
  runnerName: z.string().default(""),
});

export const JobMessageWire = z.discriminatedUnion("messageType", [JobAvailableWire, JobAssignedWire, JobStartedWire, JobCompletedWire]);
export type JobMessageWire = z.output<typeof JobMessageWire>;

/** The message types this client knows; others are skipped, as the public client's parser does. */
export const JOB_MESSAGE_TYPES = ["JobAvailable", "JobAssigned", "JobStarted", "JobCompleted"] as const;

/** `POST /actions/runner-registration` answers the Actions service URL and an admin token (client.go). */
export const AdminConnectionWire = z.object({ url: z.url(), token: z.string().min(1) });
