/**
 * The SIP benchmark's leak check: many short calls (INVITE → 200 → BYE, some concurrent), then
 * everything a call holds must be back where it was before the first call of the run: RTP ports,
 * live calls, drachtio dialogs, model sessions, and this process's sockets and timers
 * (process.getActiveResourcesInfo()).
 *
 * Half the calls hang up as soon as they are answered, while the model session is still being
 * opened; the other half once the call is active. Those are the two teardown paths.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { RtpStreamsInspection } from '../sip/rtp/rtp-stream.js';
import { isActive, placeCall, pollUntil } from './sip-calls.js';
import type { SipBridge } from './sip-bridge.js';

export type HandleCounts = Record<string, number>;

export interface ChurnResult {
  calls: number;
  concurrency: number;
  /** Calls that were not answered or not hung up cleanly, with why (first few). */
  failed: number;
  failures: string[];
  durationMs: number;
  endReasons: Record<string, number>;
  rtpPortsInUse: number;
  liveCalls: number;
  /** Dialogs drachtio-server (the simulator) still tracks. */
  serverDialogs: number;
  modelSessionsOpen: number;
  handlesBefore: HandleCounts;
  handlesAfter: HandleCounts;
  /** What the RTP thread still holds (its sockets and timers are not this thread's handles). */
  rtpThread: RtpStreamsInspection;
  clean: boolean;
}

/** The handle kinds a call creates: RTP sockets, the model's WebSocket, timers. */
const CALL_HANDLES = ['UDPWrap', 'TCPSocketWrap', 'Timeout'] as const;
const SETTLE_MS = 5_000;

export function handleCounts(): HandleCounts {
  const counts: HandleCounts = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Where the churn calls' RTP goes: one socket that reads and drops it (and is in the baseline). */
export function openSink(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.on('message', () => undefined);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

function backToBaseline(bridge: SipBridge, before: HandleCounts): boolean {
  const now = handleCounts();
  return (
    CALL_HANDLES.every((kind) => (now[kind] ?? 0) <= (before[kind] ?? 0)) &&
    bridge.app.sip!.rtpPortsInUse() === 0 &&
    bridge.app.calls.size === 0 &&
    bridge.model.sessions.every((session) => session.ended !== undefined)
  );
}

/** No stream, and (in the RTP thread) no socket or timer left. */
function rtpThreadIdle(rtp: RtpStreamsInspection): boolean {
  const handles = rtp.threadHandles ?? {};
  return rtp.streams === 0 && (handles.UDPWrap ?? 0) === 0 && (handles.Timeout ?? 0) === 0;
}

export async function runChurnPhase(
  bridge: SipBridge,
  sinkPort: number,
  opts: { calls: number; concurrency: number; firstCallNumber: number; handlesBefore: HandleCounts },
): Promise<ChurnResult> {
  const started = performance.now();
  const endedBefore = bridge.ended.length;
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.calls) {
      const n = next++;
      try {
        const call = await placeCall(bridge.drachtio, opts.firstCallNumber + n, sinkPort);
        if (n % 2 === 1) await pollUntil(() => isActive(bridge.app, call.from), `call ${n} to go active`, 10_000);
        const bye = await bridge.drachtio.sendBye(call.dialog).finalResponse();
        if (bye.status !== 200) throw new Error(`BYE answered ${bye.status}`);
      } catch (err) {
        failures.push(`call ${n}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const durationMs = performance.now() - started;
  // Sockets close asynchronously after the BYE; give everything a bounded time to get back.
  await pollUntil(() => backToBaseline(bridge, opts.handlesBefore), 'the baseline', SETTLE_MS).catch(() => undefined);
  let rtpThread = await bridge.app.sip!.rtp.inspect();
  for (let i = 0; i < 50 && !rtpThreadIdle(rtpThread); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    rtpThread = await bridge.app.sip!.rtp.inspect();
  }

  const endReasons: Record<string, number> = {};
  for (const record of bridge.ended.slice(endedBefore)) endReasons[record.endReason] = (endReasons[record.endReason] ?? 0) + 1;
  const handlesAfter = handleCounts();
  const result = {
    calls: opts.calls,
    concurrency: opts.concurrency,
    failed: failures.length,
    failures: failures.slice(0, 5),
    durationMs,
    endReasons,
    rtpPortsInUse: bridge.app.sip!.rtpPortsInUse(),
    liveCalls: bridge.app.calls.size,
    serverDialogs: bridge.drachtio.activeDialogs.length,
    modelSessionsOpen: bridge.model.sessions.filter((session) => session.ended === undefined).length,
    handlesBefore: opts.handlesBefore,
    handlesAfter,
    rtpThread,
  };
  const clean =
    result.failed === 0 &&
    endReasons.caller_hangup === opts.calls &&
    result.rtpPortsInUse === 0 &&
    result.liveCalls === 0 &&
    result.serverDialogs === 0 &&
    result.modelSessionsOpen === 0 &&
    rtpThreadIdle(rtpThread) &&
    CALL_HANDLES.every((kind) => (handlesAfter[kind] ?? 0) <= (opts.handlesBefore[kind] ?? 0));
  return { ...result, clean };
}
