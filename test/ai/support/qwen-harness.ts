/**
 * Test wiring for the Qwen adapter: a profile, a logger whose output the test can read, a
 * recorder for AiEvents, a clock the test moves, and a one-call way to an open session.
 */
import { pino, type Logger } from 'pino';
import WebSocket from 'ws';
import type { AgentProfile } from '../../../src/call/agent-profile.js';
import type { AiEvent } from '../../../src/call/ai-session.js';
import type { QwenRealtimeSession } from '../../../src/ai/qwen-realtime-session.js';
import { createQwenConnector, type QwenConnectorOptions } from '../../../src/ai/qwen-session.js';
import type { ScriptedConnection, ScriptedQwenServer } from './scripted-qwen-server.js';

/** Looks like a DashScope key so that a leak would be recognisable in any log line. */
export const TEST_API_KEY = 'sk-4f9b2c7d1e8a4b3c9d6e5f7a8b9c0d1e';

export function testProfile(overrides: Partial<AgentProfile> = {}): AgentProfile {
  return {
    id: 'front-desk',
    model: 'qwen3.5-omni-flash-realtime',
    voice: 'Tina',
    instructions: 'You are the phone assistant for ACME. Keep answers short.',
    greeting: { mode: 'none' },
    turnDetection: { type: 'server_vad', threshold: 0.6, prefixPaddingMs: 300, silenceDurationMs: 800 },
    transcribeCaller: true,
    tools: [],
    maxCallDurationMs: 600_000,
    goodbyeInstructions: 'Say goodbye.',
    ...overrides,
  };
}

export interface CapturedLog {
  logger: Logger;
  lines: string[];
  /** Parsed lines whose msg equals `msg`. */
  withMessage(msg: string): Record<string, unknown>[];
}

/** A pino logger at trace level writing into memory, so tests can see every line ever written. */
export function captureLogger(): CapturedLog {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return {
    logger,
    lines,
    withMessage: (msg) =>
      lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === msg),
  };
}

export class ManualClock {
  private currentMs = 1_000;
  readonly nowMs = (): number => this.currentMs;
  advance(ms: number): void {
    this.currentMs += ms;
  }
}

type EventOf<T extends AiEvent['type']> = Extract<AiEvent, { type: T }>;

export class AiEventLog {
  readonly events: AiEvent[] = [];
  private readonly waiters: { match: (event: AiEvent) => boolean; resolve: (event: AiEvent) => void }[] = [];

  readonly onEvent = (event: AiEvent): void => {
    this.events.push(event);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(event)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  };

  ofType<T extends AiEvent['type']>(type: T): EventOf<T>[] {
    return this.events.filter((event): event is EventOf<T> => event.type === type);
  }

  /** Resolves with the next event of this type (from now on) that passes `predicate`. */
  next<T extends AiEvent['type']>(type: T, predicate: (event: EventOf<T>) => boolean = () => true): Promise<EventOf<T>> {
    return new Promise((resolve) => {
      this.waiters.push({
        match: (event) => event.type === type && predicate(event as EventOf<T>),
        resolve: (event) => resolve(event as EventOf<T>),
      });
    });
  }
}

export function connectorOptions(server: { url: string }, log: CapturedLog, overrides: Partial<QwenConnectorOptions> = {}): QwenConnectorOptions {
  return {
    url: server.url,
    model: 'qwen3.5-omni-plus-realtime',
    apiKey: TEST_API_KEY,
    logger: log.logger,
    createSocket: (url, headers) => new WebSocket(url, { headers }),
    // One attempt unless a test is about retries: a failure's classification is what most check.
    connectRetries: 0,
    ...overrides,
  };
}

export interface OpenSession {
  session: QwenRealtimeSession;
  conn: ScriptedConnection;
  events: AiEventLog;
  log: CapturedLog;
}

/** Connects through the public connector and waits until `ready` has been delivered. */
export async function openSession(
  server: ScriptedQwenServer,
  overrides: Partial<QwenConnectorOptions> = {},
  profile: AgentProfile = testProfile(),
): Promise<OpenSession> {
  const log = captureLogger();
  const events = new AiEventLog();
  const ready = events.next('ready');
  const connect = createQwenConnector(connectorOptions(server, log, overrides));
  const session = await connect(profile, events.onEvent, { callId: 'call-1' });
  await ready;
  return { session, conn: await server.connection(), events, log };
}

/** `count` samples of a ramp starting at `first`, so a batch boundary shows up as a wrong value. */
export function ramp(count: number, first = 0): Int16Array {
  return Int16Array.from({ length: count }, (_, i) => first + i);
}

/** The samples a base64 PCM16 LE payload carries. */
export function samplesOf(base64: string): number[] {
  const bytes = Buffer.from(base64, 'base64');
  const samples: number[] = [];
  for (let offset = 0; offset + 1 < bytes.length; offset += 2) samples.push(bytes.readInt16LE(offset));
  return samples;
}

/** The base64 PCM16 LE payload of these samples, as the server would send it. */
export function base64Of(samples: number[]): string {
  const bytes = Buffer.alloc(samples.length * 2);
  samples.forEach((sample, i) => bytes.writeInt16LE(sample, i * 2));
  return bytes.toString('base64');
}
