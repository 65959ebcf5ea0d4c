/**
 * A bare `ws` client for talking to the simulator the way any realtime client would: JSON text
 * frames in, events out, with a cursor so a test reads as a conversation.
 */
import WebSocket from 'ws';

export interface WireEvent {
  type: string;
  event_id: string;
  [field: string]: unknown;
}

export interface ConnectOptions {
  model?: string | null;
  apiKey?: string | null;
  headers?: Record<string, string>;
}

function target(baseUrl: string, model: string | null): string {
  return model === null ? baseUrl : `${baseUrl}?model=${encodeURIComponent(model)}`;
}

function modelOf(options: ConnectOptions): string | null {
  return options.model === undefined ? 'qwen3.5-omni-flash-realtime' : options.model;
}

function headersFor(options: ConnectOptions): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.apiKey === undefined ? 'test-key' : options.apiKey;
  if (key !== null) headers.Authorization = `Bearer ${key}`;
  return headers;
}

/** The HTTP status of an upgrade attempt: 101 when accepted, else the refusal's status and body. */
export function upgradeStatus(baseUrl: string, options: ConnectOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target(baseUrl, modelOf(options)), { headers: headersFor(options) });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '' });
    });
    ws.on('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

export class RawClient {
  readonly events: WireEvent[] = [];
  /** Resolves when the socket closes, with the code the client observed (1006: no close frame). */
  readonly closed: Promise<{ code: number; reason: string }>;
  private cursor = 0;
  private wake: (() => void) | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) throw new Error('the simulator must never send binary frames');
      this.events.push(JSON.parse(data.toString('utf8')) as WireEvent);
      this.wake?.();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
        this.wake?.();
      });
    });
  }

  static connect(baseUrl: string, options: ConnectOptions = {}): Promise<RawClient> {
    const ws = new WebSocket(target(baseUrl, modelOf(options)), { headers: headersFor(options) });
    const client = new RawClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(event: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(event));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  close(): void {
    this.ws.close();
  }

  /** The next event not yet consumed. */
  async next(timeoutMs = 2_000): Promise<WireEvent> {
    await this.waitUntil(() => this.cursor < this.events.length, timeoutMs, 'the next event');
    return this.events[this.cursor++]!;
  }

  /** Consumes events up to and including the first of `type`, and returns them all. */
  async until(type: string, timeoutMs = 3_000): Promise<WireEvent[]> {
    const start = this.cursor;
    const found = (): number => this.events.findIndex((e, i) => i >= start && e.type === type);
    await this.waitUntil(() => found() >= 0, timeoutMs, `an event of type ${type}`);
    const end = found() + 1;
    this.cursor = end;
    return this.events.slice(start, end);
  }

  /** Consumes and returns whatever arrives in the next `ms`. */
  async quietFor(ms: number): Promise<WireEvent[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const rest = this.events.slice(this.cursor);
    this.cursor = this.events.length;
    return rest;
  }

  private async waitUntil(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.events.slice(this.cursor).map((e) => e.type);
        throw new Error(`timed out waiting for ${what}; unconsumed: ${JSON.stringify(seen)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}

export function types(events: readonly WireEvent[]): string[] {
  return events.map((e) => e.type);
}
