/**
 * Operator actions that must reach the process owning a call (hang-up) or another process
 * altogether (drain), carried by PostgreSQL LISTEN/NOTIFY: every process listens on one channel
 * and acts on the messages addressed to it (or to all). No process talks to another directly.
 */
import pg from 'pg';
import type { Logger } from 'pino';

export const CONTROL_CHANNEL = 'qpb_control';
/** Reconnect delays after the listening connection drops: doubles up to the last. */
const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 5000];

export type ControlMessage = { op: 'hangup'; to: string; callId: string } | { op: 'drain'; to: string };

/** Parse at the edge: anything else on the channel is ignored with a debug line. */
export function parseControlMessage(text: string): ControlMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { op, to, callId } = value as Record<string, unknown>;
  if (typeof to !== 'string' || to === '') return undefined;
  if (op === 'hangup' && typeof callId === 'string' && callId !== '') return { op, to, callId };
  if (op === 'drain') return { op, to };
  return undefined;
}

export interface ControlChannelOptions {
  url: string;
  instanceId: string;
  logger: Logger;
  onMessage(message: ControlMessage): void;
}

export interface ControlChannel {
  /** Resolves once listening (the first time). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** '*' addresses every process. */
export const ALL_INSTANCES = '*';

export function listenForControl(opts: ControlChannelOptions): ControlChannel {
  let client: pg.Client | undefined;
  let closed = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const connect = async (): Promise<void> => {
    const created = new pg.Client({ connectionString: opts.url, application_name: 'qwen-phone-bridge control' });
    created.on('error', (err) => {
      opts.logger.warn({ err: err.message }, 'control channel connection lost');
      void created.end().catch(() => undefined);
    });
    created.on('end', () => {
      if (client === created) client = undefined;
      if (!closed) schedule();
    });
    created.on('notification', (msg) => {
      if (msg.channel !== CONTROL_CHANNEL || msg.payload === undefined) return;
      const message = parseControlMessage(msg.payload);
      if (message === undefined) {
        opts.logger.debug('control message not understood');
        return;
      }
      if (message.to !== opts.instanceId && message.to !== ALL_INSTANCES) return;
      try {
        opts.onMessage(message);
      } catch (err) {
        opts.logger.error({ err }, 'control message handler threw');
      }
    });
    try {
      await created.connect();
      await created.query(`LISTEN ${CONTROL_CHANNEL}`);
    } catch (err) {
      opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'control channel not connected');
      await created.end().catch(() => undefined);
      schedule();
      return;
    }
    if (closed) {
      await created.end().catch(() => undefined);
      return;
    }
    client = created;
    attempt = 0;
    markReady();
  };

  const schedule = (): void => {
    if (closed || timer !== undefined) return;
    const delay = RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)]!;
    attempt += 1;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    timer.unref();
  };

  void connect();
  return {
    ready,
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      const open = client;
      client = undefined;
      await open?.end().catch(() => undefined);
    },
  };
}

/** Send a control message (through any pooled connection). */
export async function sendControl(pool: pg.Pool, message: ControlMessage): Promise<void> {
  await pool.query('SELECT pg_notify($1, $2)', [CONTROL_CHANNEL, JSON.stringify(message)]);
}
