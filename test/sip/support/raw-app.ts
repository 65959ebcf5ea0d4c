/**
 * A bare drachtio app connection for wire-level tests: writes exactly the bytes it is given and
 * reads frames back, so tests can send what drachtio-srf never would (bad lengths, stray
 * responses) and read the simulator's frames field by field.
 */
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { DEFAULT_WAIT_MS } from '../../../src/sim/drachtio/wait-until.js';
import { encodeFrame, FrameDecoder } from '../../../src/sim/drachtio/wire-frame.js';

export interface ParsedFrame {
  body: string;
  /** Fields of the leader (everything before the first CRLF), split on every '|'. */
  fields: string[];
  /** The SIP message after the leader's CRLF, '' when there is none. */
  sip: string;
}

export function parseFrame(body: string): ParsedFrame {
  const crlf = body.indexOf('\r\n');
  const leader = crlf === -1 ? body : body.slice(0, crlf);
  return { body, fields: leader.split('|'), sip: crlf === -1 ? '' : body.slice(crlf + 2) };
}

export class RawApp {
  private readonly decoder = new FrameDecoder();
  private readonly inbox: ParsedFrame[] = [];
  private wake: (() => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const body of this.decoder.push(chunk)) this.inbox.push(parseFrame(body));
      this.wake?.();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawApp> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new RawApp(socket);
  }

  /** Sends one framed message (`<msgId>|<body>`); returns the msgId. */
  send(body: string): string {
    const msgId = randomUUID();
    this.socket.write(encodeFrame(`${msgId}|${body}`));
    return msgId;
  }

  writeRaw(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Authenticates with the simulator's default secret and waits for the reply. */
  async authenticate(secret = 'cymru'): Promise<ParsedFrame> {
    this.send(`authenticate|${secret}|`);
    return this.next();
  }

  /** The next frame from the simulator. */
  async next(timeoutMs = DEFAULT_WAIT_MS): Promise<ParsedFrame> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no frame from the simulator within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.inbox.shift()!;
  }

  close(): void {
    this.socket.destroy();
  }
}
