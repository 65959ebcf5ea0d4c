/**
 * Calls for the SIP benchmark, played from the network's side of the drachtio simulator: INVITE
 * with a PCMU offer, the time until our 200 OK arrives, ACK, BYE; and when the model session of
 * a call was closed, as the Qwen simulator saw it.
 */
import type { App } from '../app.js';
import type { QwenSimulator } from '../sim/qwen/server.js';
import type { SimulatedSession } from '../sim/qwen/session-record.js';
import type { DrachtioServerSim, SimDialog } from '../sim/drachtio/drachtio-server-sim.js';

export interface PlacedCall {
  /** The calling number: unique per call, and in the call's identity, so the registry can be searched for it. */
  from: string;
  dialog: SimDialog;
  /** The bridge's RTP port, from its SDP answer. */
  rtpPort: number;
  /** The simulator sent the INVITE → it received our 200 OK. */
  inviteTo200Ms: number;
}

export function pcmuOffer(rtpPort: number): string {
  return [
    'v=0', 'o=carrier 1000 1 IN IP4 127.0.0.1', 's=call', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${rtpPort} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', '',
  ].join('\r\n');
}

/** Call n's calling number: unique per call, so its registry entry and record can be found. */
export function callerNumber(n: number): string {
  return `+1555${String(n).padStart(7, '0')}`;
}

/** INVITE → 200 → ACK. Rejects when the answer is not a 200 with SDP. */
export async function placeCall(drachtio: DrachtioServerSim, n: number, peerPort: number): Promise<PlacedCall> {
  const from = callerNumber(n);
  const sentAt = performance.now();
  const invite = drachtio.sendInvite({ from: `sip:${from}@carrier.example`, to: 'sip:+15550100@bridge.example', sdp: pcmuOffer(peerPort) });
  const final = await invite.finalResponse();
  const inviteTo200Ms = performance.now() - sentAt;
  const dialog = await invite.answered();
  drachtio.sendAck(dialog);
  const port = /^m=audio (\d+)/m.exec(final.body)?.[1];
  if (port === undefined) throw new Error(`call ${n}: the 200 OK carried no audio stream`);
  return { from, dialog, rtpPort: Number(port), inviteTo200Ms };
}

export function isActive(app: App, from: string): boolean {
  return app.calls.list().some((call) => call.identity.from === from && call.state === 'active');
}

/** Polls `check` every 2 ms; rejects with `what` after `timeoutMs`. */
export async function pollUntil(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * When model sessions end, in the order they end, timed the moment the simulator records the
 * end (its `waitForEnd` resolves from the same event). Sessions are watched from `watchAll()`
 * on; ones that had already ended by then are ignored.
 */
export class ModelSessionEnds {
  readonly #watched = new Set<SimulatedSession>();
  readonly #endTimes: number[] = [];
  #wake: Array<() => void> = [];

  constructor(
    private readonly model: QwenSimulator,
    /** Longest a session is watched; ends later than this are not seen. */
    private readonly watchMs: number,
  ) {}

  get count(): number {
    return this.#endTimes.length;
  }

  watchAll(): void {
    for (const session of this.model.sessions) {
      if (this.#watched.has(session)) continue;
      this.#watched.add(session);
      if (session.ended !== undefined) continue;
      session.waitForEnd({ timeoutMs: this.watchMs }).then(
        () => {
          this.#endTimes.push(performance.now());
          for (const wake of this.#wake.splice(0)) wake();
        },
        () => undefined,
      );
    }
  }

  /** Resolves with the time of the `n`-th end (1-based) once it has happened. */
  async nth(n: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.#endTimes.length < n) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no model session end #${n} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.#endTimes[n - 1]!;
  }
}
