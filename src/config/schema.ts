/**
 * The configuration schema: the one description of every setting, its type and default.
 * config/default.yaml documents the same keys for operators; a test keeps the two in step.
 */
import { z } from 'zod';

const ms = z.number().int().nonnegative();

export const configSchema = z
  .object({
    http: z.object({ host: z.string(), port: z.number().int().min(0).max(65535) }).strict(),
    media: z
      .object({
        startTimeoutMs: ms,
        maxFrameBytes: z.number().int().min(1024),
        publicBaseUrl: z.string().url().nullable(),
        authFailureBurst: z.number().int().nonnegative(),
        authFailuresPerMinute: z.number().positive(),
      })
      .strict(),
    qwen: z
      .object({
        region: z.enum(['singapore', 'beijing']),
        url: z.string().nullable(),
        workspaceId: z.string().nullable(),
        model: z.string().min(1),
        connectTimeoutMs: ms,
        connectRetries: z.number().int().min(0).max(5),
        connectDeadlineMs: ms,
        keepAliveIntervalMs: ms,
        responseCreatedTimeoutMs: z.number().int().min(1000),
        startupCheck: z.boolean(),
        appendBatchMs: z.number().int().min(20).max(100),
        sessionCapMs: ms,
        maxConcurrentSessions: z.number().int().nonnegative(),
      })
      .strict(),
    calls: z
      .object({
        maxConcurrent: z.number().int().positive(),
        playoutLeadMs: z.number().int().min(20).max(1000),
        callerSilenceMs: ms,
        mediaTimeoutMs: ms,
        wrapUpLeadMs: ms,
        drainTimeoutMs: ms,
        sessionCapMarginMs: ms,
        rolloverLeadMs: ms,
        reconnectAttempts: z.number().int().min(0).max(10),
        reconnectDeadlineMs: ms,
        resampler: z.enum(['fir', 'libsamplerate']),
        audioBurstMs: z.number().int().min(100).max(10_000),
        audioOverrunCloseMs: z.number().int().min(1_000),
        // Played when the model cannot be reached; null: the call just ends.
        unavailable: z.object({ path: z.string().min(1), transcript: z.string() }).strict().nullable(),
      })
      .strict(),
    sip: z
      .object({
        enabled: z.boolean(),
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535),
        reconnectMaxDelayMs: z.number().int().min(150),
        allowFrom: z.array(z.string().min(1)),
        busyStatus: z.union([z.literal(486), z.literal(503)]),
        rtp: z
          .object({
            bindAddress: z.string().min(1),
            advertisedAddress: z.string().min(1).nullable(),
            portMin: z.number().int().min(1024).max(65534),
            portMax: z.number().int().min(1025).max(65535),
            idleAudio: z.enum(['silence', 'none']),
            sendThread: z.enum(['worker', 'main']),
          })
          .strict()
          .refine((rtp) => rtp.portMax - rtp.portMin >= 3, { message: 'portMax must leave room for at least two calls above portMin' }),
      })
      .strict(),
    ops: z
      .object({
        // null: /metrics is served on the main listener; a port: on its own listener instead.
        port: z.number().int().min(0).max(65535).nullable(),
        host: z.string().min(1),
      })
      .strict(),
    twilio: z.object({ apiBaseUrl: z.string().url(), requestTimeoutMs: z.number().int().positive() }).strict(),
    jambonz: z.object({ sampleRateHz: z.union([z.literal(8000), z.literal(16000)]) }).strict(),
    agentsDir: z.string(),
    records: z
      .object({
        store: z.enum(['sqlite', 'postgres']),
        dbPath: z.string().min(1),
        retentionDays: z.number().int().nonnegative(),
        webhook: z
          .object({
            url: z.string().url().nullable(),
            timeoutMs: z.number().int().positive(),
            retries: z.number().int().min(0).max(20),
          })
          .strict(),
        recording: z
          .object({
            enabled: z.boolean(),
            dir: z.string().min(1),
            retentionDays: z.number().int().nonnegative(),
          })
          .strict(),
      })
      .strict(),
    cluster: z
      .object({
        instanceId: z.string().min(1).max(100).nullable(),
        leaseMs: z.number().int().min(3000),
        poolSize: z.number().int().min(2).max(100),
      })
      .strict(),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) }).strict(),
  })
  .strict();

export type FileConfig = z.infer<typeof configSchema>;

/** Secrets: from the environment only, never from files, never logged. */
export interface Secrets {
  /** The key for qwen.region. */
  dashscopeApiKey?: string;
  /** DASHSCOPE_API_KEY_SINGAPORE / _BEIJING: keys for agents whose `region` differs. */
  dashscopeRegionKeys?: Partial<Record<'singapore' | 'beijing', string>>;
  mediaToken?: string;
  twilioAuthToken?: string;
  /** With twilioAuthToken: transfers on Twilio calls go through Twilio's REST API. */
  twilioAccountSid?: string;
  drachtioSecret?: string;
  /** Bearer token for the admin and call-records APIs; without it those routes are not served. */
  adminToken?: string;
  /** HMAC key for end-of-call webhooks. */
  recordsWebhookSecret?: string;
  /** DATABASE_URL: the PostgreSQL database of a cluster (records.store: postgres). */
  databaseUrl?: string;
}

export type Config = FileConfig & {
  /** Absolute folder of agent files, resolved against the config file that named it. */
  agentsPath: string;
  secrets: Secrets;
};
