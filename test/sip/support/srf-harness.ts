/**
 * Real drachtio-srf instances wired to a DrachtioServerSim, with the runtime shapes the bundled
 * `.d.ts` gets wrong spelled out (so the casts live here, once, with the reason next to them):
 * - `connect()` returns the app object, not a Promise; success or a bad secret arrive as the
 *   `connect` event `(err, hostport, serverVersion, localHostports)`. `SrfConfig` also lacks
 *   `reconnect`, `tags`, `enablePing`.
 * - `Dialog` is missing `id`, `connected`, `local.contact`; `destroy()` returns a Promise
 *   (typed void); `request()` takes `{method, headers, body}` (typed as a whole SrfRequest).
 * - `Srf#on` overloads hide EventEmitter's, so `reconnecting`/`close` need the EventEmitter type.
 */
import type { EventEmitter } from 'node:events';
import Srf from 'drachtio-srf';
import type { DrachtioServerSim } from '../../../src/sim/drachtio/drachtio-server-sim.js';
import { DEFAULT_WAIT_MS } from '../../../src/sim/drachtio/wait-until.js';

export interface SrfConnectOptions {
  host: string;
  port: number;
  secret: string;
  /** retryMaxDelay caps the ×1.7 backoff (from 150 ms); maxAttempts 1 means never reconnect. */
  reconnect?: { retryMaxDelay?: number; maxAttempts?: number; connectTimeout?: number };
  enablePing?: boolean;
  pingInterval?: number;
}

export interface ConnectOutcome {
  err: Error | null;
  hostport: string | undefined;
  serverVersion: string | undefined;
  localHostports: string | undefined;
}

/** The Dialog as drachtio-srf 5 builds it at runtime (only what these tests use). */
export interface SrfDialog extends EventEmitter {
  /** drachtio-server's dialog id: `<Call-ID>;from-tag=<caller's From tag>`. */
  readonly id: string;
  readonly connected: boolean;
  readonly type: 'uas' | 'uac';
  readonly onHold: boolean;
  readonly sip: { callId: string; localTag: string; remoteTag: string };
  readonly local: { uri: string; sdp: string; contact: string };
  readonly remote: { uri: string; sdp: string };
  /** Sends BYE; resolves with the BYE *request* once any response to it arrives. */
  destroy(opts?: { headers?: Record<string, string> }): Promise<Srf.SrfRequest>;
  /** Sends a re-INVITE ('hold' / 'unhold' / an SDP); resolves with the remote SDP of the 200. */
  modify(sdp: string): Promise<string>;
  /** Resolves with the first response to arrive, whatever its status. */
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<Srf.SrfResponse>;
}

export function asSrfDialog(dialog: Srf.Dialog): SrfDialog {
  return dialog as unknown as SrfDialog;
}

/** Resolves with the arguments of the next `event`; fails after a short timeout. */
export function nextEvent(emitter: EventEmitter, event: string, timeoutMs = DEFAULT_WAIT_MS): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    function onEvent(...args: unknown[]): void {
      clearTimeout(timer);
      resolve(args);
    }
    emitter.once(event, onEvent);
  });
}

/** Creates Srf instances for one test and disconnects them afterwards. */
export class SrfFixture {
  private readonly instances: Array<{ srf: Srf; connected: boolean }> = [];
  /** Socket errors srf reported (an 'error' without a listener would crash the test run). */
  readonly errors: Error[] = [];

  constructor(private readonly sim: DrachtioServerSim) {}

  create(tags?: string | string[]): Srf {
    const srf = tags === undefined ? new Srf() : new Srf(tags);
    const entry = { srf, connected: false };
    this.instances.push(entry);
    const events = srf as EventEmitter;
    events.on('error', (err: Error) => this.errors.push(err));
    events.on('connect', (err: Error | null) => {
      entry.connected = !err;
    });
    events.on('close', () => {
      entry.connected = false;
    });
    return srf;
  }

  /** Connects and waits for srf's `connect` event (emitted with an error for a bad secret). */
  async connect(srf: Srf, options: Partial<SrfConnectOptions> = {}): Promise<ConnectOutcome> {
    const connected = nextEvent(srf as EventEmitter, 'connect');
    const connect = srf.connect.bind(srf) as unknown as (opts: SrfConnectOptions) => unknown;
    connect({ host: this.sim.host, port: this.sim.port, secret: 'cymru', ...options });
    const [err, hostport, serverVersion, localHostports] = await connected;
    return {
      err: (err as Error | null | undefined) ?? null,
      hostport: hostport as string | undefined,
      serverVersion: serverVersion as string | undefined,
      localHostports: localHostports as string | undefined,
    };
  }

  /** A connected Srf whose routes the simulator has registered. */
  async connected(setup: (srf: Srf) => void = () => undefined, tags?: string | string[]): Promise<Srf> {
    const srf = this.create(tags);
    setup(srf);
    const outcome = await this.connect(srf);
    if (outcome.err) throw outcome.err;
    return srf;
  }

  /**
   * Disconnects every still-connected instance and waits for its socket to close. srf's
   * `disconnect()` sets its "closing" flag, so no reconnect is scheduled; it throws when there
   * is no socket, hence the connected check.
   */
  async cleanup(): Promise<void> {
    await Promise.all(
      this.instances
        .filter((entry) => entry.connected)
        .map(async ({ srf }) => {
          const closed = nextEvent(srf as EventEmitter, 'close');
          srf.disconnect();
          await closed;
        }),
    );
  }
}
