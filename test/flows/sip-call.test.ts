/**
 * Whole calls over SIP through the real app: the drachtio-server simulator plays the carrier
 * (INVITE, ACK, BYE), an RtpPeer on 127.0.0.1 plays the phone's media, and the Qwen simulator is
 * the model. What the caller hears is checked on the wire (PCMU payloads and their arrival
 * times), what the model heard in the simulator's record, what happened in the call record.
 */
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { mulawDecode, mulawEncode } from '../../src/audio/g711.js';
import { loadCallerFixture } from '../../src/sim/caller/index.js';
import type { SimulatedSession } from '../../src/sim/qwen/session-record.js';
import { RtpPeer, waitUntil, type Received } from '../sip/rtp/rtp-peer.js';
import { DrachtioServerSim, type InviteTransaction, type SimDialog } from '../../src/sim/drachtio/drachtio-server-sim.js';
import { spawnRtpThread, type SpawnRtpThread } from '../../src/sip/rtp/worker/spawn-rtp-thread.js';
import { agentsFolder } from '../support/agent-folder.js';
import { startBridge, type Bridge, type StartBridgeOptions } from '../support/bridge-harness.js';

const CALLER = '"Alice" <sip:+15551230000@carrier.example>';
const CALLED = 'sip:+15550100@bridge.example';
const FRAME_MS = 20;
const FRAME_SAMPLES = 160;
/** Below 32768, so no ephemeral port (the RtpPeers bind port 0) can sit in the range. */
const RTP_PORT_MIN = 26_000;

let drachtio: DrachtioServerSim | undefined;
let bridge: Bridge | undefined;
const peers: RtpPeer[] = [];
const senders: PacedSender[] = [];

afterEach(async () => {
  for (const sender of senders.splice(0)) sender.stop();
  await bridge?.close();
  bridge = undefined;
  await drachtio?.close();
  drachtio = undefined;
  for (const peer of peers.splice(0)) peer.close();
});

function pcmuOffer(rtpPort: number): string {
  return [
    'v=0', 'o=carrier 1000 1 IN IP4 127.0.0.1', 's=call', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${rtpPort} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', '',
  ].join('\r\n');
}

/** The bridge with SIP on, connected to a fresh drachtio simulator that routes INVITEs to it. */
async function startSipBridge(
  opts: { maxCalls?: number; maxCallMs?: number; sim?: StartBridgeOptions['sim']; spawnRtpThread?: SpawnRtpThread } = {},
): Promise<{ bridge: Bridge; drachtio: DrachtioServerSim }> {
  drachtio = await DrachtioServerSim.start();
  const spawnRtpThread = opts.spawnRtpThread;
  bridge = await startBridge({
    ...(opts.sim ? { sim: opts.sim } : {}),
    ...(spawnRtpThread ? { overrides: () => ({ spawnRtpThread }) } : {}),
    env: {
      SIP_ENABLED: 'true',
      DRACHTIO_HOST: '127.0.0.1',
      DRACHTIO_PORT: String(drachtio.port),
      DRACHTIO_SECRET: 'cymru',
      MAX_CONCURRENT_CALLS: String(opts.maxCalls ?? 10),
    },
    configure: (config) => {
      config.sip.reconnectMaxDelayMs = 200;
      config.sip.allowFrom = ['127.0.0.0/8', '198.51.100.0/24'];
      config.sip.rtp = { ...config.sip.rtp, bindAddress: '127.0.0.1', advertisedAddress: '127.0.0.1', portMin: RTP_PORT_MIN, portMax: RTP_PORT_MIN + 399, idleAudio: 'silence' };
      // The agent's own maximum call duration, shortened (an agent file with only that changed).
      if (opts.maxCallMs !== undefined) {
        config.agentsPath = agentsFolder({
          'short.yaml': `id: short\nnumbers: ["*"]\ninstructions: Help.\ngreeting: { mode: model, instructions: Greet. }\nmaxCallDurationMs: ${opts.maxCallMs}\n`,
        });
      }
    },
  });
  await bridge.app.sip!.link.connected;
  await drachtio.waitForRoute('invite');
  return { bridge, drachtio };
}

async function openPeer(): Promise<RtpPeer> {
  const peer = await RtpPeer.open();
  peers.push(peer);
  return peer;
}

interface Answered {
  invite: InviteTransaction;
  dialog: SimDialog;
  /** Our RTP port from the SDP answer. */
  rtpPort: number;
}

async function call(sim: DrachtioServerSim, peer: RtpPeer, from = CALLER): Promise<Answered> {
  const invite = sim.sendInvite({ from, to: CALLED, sdp: pcmuOffer(peer.address.port) });
  const dialog = await invite.answered();
  sim.sendAck(dialog);
  const answer = (await invite.finalResponse()).body;
  expect(answer).toMatch(/^m=audio \d+ RTP\/AVP 0 101\r$/m);
  expect(answer).toContain('c=IN IP4 127.0.0.1');
  return { invite, dialog, rtpPort: Number(/^m=audio (\d+)/m.exec(answer)![1]) };
}

/** Audible: digital silence decodes to 0 and line noise stays far below this. */
function loud(entry: Received): boolean {
  return mulawDecode(entry.packet.payload).some((sample) => Math.abs(sample) > 300);
}

/**
 * The phone's microphone: one 20 ms PCMU packet every 20 ms on a grid anchored at start (each
 * timeout aims at the next boundary, so lateness does not accumulate), speech when some is
 * queued and silence otherwise — a phone keeps sending while nobody talks.
 */
class PacedSender {
  #timer: NodeJS.Timeout | undefined;
  #sequence = 1000;
  #sent = 0;
  #speech: { pcm: Int16Array; offset: number; done: () => void } | undefined;
  readonly #origin = performance.now();

  constructor(
    private readonly peer: RtpPeer,
    private readonly to: { address: string; port: number },
  ) {
    this.#schedule();
  }

  /** Resolves once the last packet of `pcm` has been sent. */
  say(pcm: Int16Array): Promise<void> {
    return new Promise((done) => (this.#speech = { pcm, offset: 0, done }));
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    const due = this.#origin + (this.#sent + 1) * FRAME_MS;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, due - performance.now()));
  }

  #tick(): void {
    const frame = new Int16Array(FRAME_SAMPLES);
    const speech = this.#speech;
    if (speech) {
      frame.set(speech.pcm.subarray(speech.offset, speech.offset + FRAME_SAMPLES));
      speech.offset += FRAME_SAMPLES;
      if (speech.offset >= speech.pcm.length) {
        this.#speech = undefined;
        speech.done();
      }
    }
    const header = { payloadType: 0, sequenceNumber: this.#sequence++ & 0xffff, timestamp: this.#sent * FRAME_SAMPLES, ssrc: 0x5eed, marker: this.#sent === 0 };
    this.#sent += 1;
    this.peer.sendRtp(header, mulawEncode(frame), this.to).catch(() => undefined);
    this.#schedule();
  }
}

function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

const LEAK_KINDS = ['UDPWrap', 'TCPSocketWrap', 'Timeout'] as const;

/** Sockets close asynchronously; give them up to 2 s to reach the baseline (a Timeout may be vitest's). */
async function settle(target: Record<string, number>): Promise<void> {
  const settled = (): boolean => LEAK_KINDS.every((kind) => (handles()[kind] ?? 0) <= (target[kind] ?? 0) + (kind === 'Timeout' ? 1 : 0));
  for (let i = 0; i < 100 && !settled(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('a SIP call through the bridge', () => {
  it('answers with SDP, plays the greeting as paced PCMU, hears the caller, answers, and ends on BYE', async () => {
    const { bridge, drachtio } = await startSipBridge();
    const peer = await openPeer();
    const { dialog, rtpPort } = await call(drachtio, peer);
    const session = await bridge.sim.waitForSession(1);

    // The greeting arrives as audio, one packet per 20 ms.
    await waitUntil(() => peer.received.some(loud), 'greeting audio at the RTP peer', 8_000);
    await waitUntil(() => peer.received.slice(-25).every((p) => !loud(p)), 'the greeting to end', 10_000);
    const first = peer.received.findIndex(loud);
    const last = peer.received.findLastIndex(loud);
    const stream = peer.received.slice(first, last + 1);
    expect(stream.length).toBeGreaterThan(50);
    expect(peer.received.every((p) => p.packet.payloadType === 0)).toBe(true);
    for (let i = 1; i < stream.length; i++) {
      expect((stream[i]!.packet.sequenceNumber - stream[i - 1]!.packet.sequenceNumber + 65_536) % 65_536).toBe(1);
      // One slot apart, or several when a stalled event loop made the send clock skip slots.
      const slots = ((stream[i]!.packet.timestamp - stream[i - 1]!.packet.timestamp) >>> 0) / FRAME_SAMPLES;
      expect(Number.isInteger(slots) && slots >= 1).toBe(true);
    }
    // Paced, not forwarded as the model produced it (about 4x real time): the packets took at
    // least as long to arrive as the audio they carry lasts (RTP timestamps count skipped slots
    // too), give or take a late tick at either end. How closely they keep the grid is the RTP
    // leg's own test, under fake timers; a shared machine cannot bound it from above.
    const audioMs = ((stream.at(-1)!.packet.timestamp - stream[0]!.packet.timestamp) >>> 0) / 8;
    const arrivalMs = stream.at(-1)!.atMs - stream[0]!.atMs;
    expect(arrivalMs).toBeGreaterThan(audioMs - 150);
    const gaps = stream.slice(1).map((p, i) => p.atMs - stream[i]!.atMs).sort((a, b) => a - b);
    expect(gaps[Math.floor(gaps.length / 2)]).toBeGreaterThan(15);

    // The caller speaks in real time; the simulator's VAD commits the turn and the agent answers.
    const sender = new PacedSender(peer, { address: '127.0.0.1', port: rtpPort });
    senders.push(sender);
    await sender.say(await loadCallerFixture('order-status'));
    const heardBefore = peer.received.length;
    await waitUntil(() => peer.received.slice(heardBefore).filter(loud).length >= 25, 'the agent’s answer at the RTP peer', 10_000);
    expect(session.userItems).toHaveLength(1);
    expect(session.userItems[0]!.via).toBe('vad');
    // The simulator sends faster than real time: the answer is fully generated while still playing.
    await session.waitForServerEvent('response.done', { count: 2 });
    expect(session.responses.map((r) => r.source)).toEqual(['greeting', 'turn']);

    // The caller hangs up: the call ends and the bridge closes the model session itself.
    expect((await drachtio.sendBye(dialog).finalResponse()).status).toBe(200);
    const end = await session.waitForEnd();
    expect(end.cause).toBe('client_closed');
    sender.stop();

    const record = await bridge.ended(1);
    expect(record.endReason).toBe('caller_hangup');
    expect(record.identity.transport).toBe('rtp');
    expect(record.identity.attributes.codec).toBe('PCMU');
    const caller = record.turns.filter((t) => t.role === 'caller');
    const agent = record.turns.filter((t) => t.role === 'agent');
    expect(caller.map((t) => t.text)).toEqual([session.userItems[0]!.transcript]);
    expect(agent).toHaveLength(2);
    expect(agent[1]!.text).toMatch(/order shipped/);
    expect(agent[1]!.atMs).toBeGreaterThan(caller[0]!.atMs);
    expect(record.stats.uplinkFrames).toBeGreaterThan(100);
    // The caller's BYE ended the dialog: we send none of our own. A BYE would have been written
    // at teardown, before the record; the answer to a later OPTIONS comes after it on the same
    // connection, so once that answer is in, any BYE would be too.
    expect((await drachtio.sendOptions().finalResponse()).status).toBe(200);
    expect(drachtio.appRequests.filter((r) => r.method === 'BYE')).toHaveLength(0);
    expect(bridge.app.sip!.rtpPortsInUse()).toBe(0);
    expect(bridge.app.calls.size).toBe(0);
  }, 30_000);

  it('keeps the SIP call up when the model session drops: the reconnect line as RTP, then a new session that knows the call', async () => {
    const { bridge, drachtio } = await startSipBridge({
      sim: { faults: { session: (n) => (n === 1 ? { disconnect: { at: { afterAudioDeltas: 5, ofResponse: 1 }, mode: 'close', closeCode: 1011 } } : undefined) } },
    });
    const peer = await openPeer();
    const { dialog, rtpPort } = await call(drachtio, peer);
    const sender = new PacedSender(peer, { address: '127.0.0.1', port: rtpPort });
    senders.push(sender);
    const first = await bridge.sim.waitForSession(1);
    await first.waitForEnd({ timeoutMs: 8_000 });
    const atDrop = peer.received.length;
    const second = await bridge.sim.waitForSession(2, 8_000);
    await second.waitForServerEvent('session.updated', { timeoutMs: 8_000 });
    // The new session was told the call is under way, and it answered the resume request.
    expect(second.config.instructions).toContain('Do not greet the caller again');
    await second.waitForServerEvent('response.done', { timeoutMs: 8_000 });
    // After the drop the caller heard the 1.8 s line and then the new session: over 2 s of speech as RTP.
    await waitUntil(() => peer.received.slice(atDrop).filter(loud).length > 100, 'the line and the new answer at the RTP peer', 10_000);

    expect((await drachtio.sendBye(dialog).finalResponse()).status).toBe(200);
    sender.stop();
    const record = await bridge.ended(1);
    expect(record.endReason).toBe('caller_hangup');
    expect(record.modelSessions.map((s) => s.end)).toEqual(['dropped', 'call_ended']);
    expect(record.turns.some((t) => t.role === 'agent' && t.text === 'Sorry, one moment please.')).toBe(true);
    expect(bridge.app.sip!.rtpPortsInUse()).toBe(0);
  }, 30_000);

  it('sends BYE with a Reason header when the call ends on our side', async () => {
    const { bridge, drachtio } = await startSipBridge();
    const peer = await openPeer();
    await call(drachtio, peer);
    const session = await bridge.sim.waitForSession(1);
    await waitUntil(() => bridge.app.calls.list()[0]?.state === 'active', 'the call to go active', 5_000);

    void bridge.app.calls.list()[0]!.hangup('admin_hangup');
    const bye = await drachtio.appRequest('BYE');
    expect(bye.message.get('Reason')).toBe('Q.850;cause=16;text="admin_hangup"');
    drachtio.respondTo(bye, 200);
    expect((await bridge.ended(1)).endReason).toBe('admin_hangup');
    await session.waitForEnd({ timeoutMs: 1_000 });
    expect(bridge.app.sip!.rtpPortsInUse()).toBe(0);
    expect(drachtio.activeDialogs).toHaveLength(0);
  });

  it('hangs up with BYE when the call reaches its maximum duration', async () => {
    const { bridge, drachtio } = await startSipBridge({ maxCallMs: 1_500 });
    const peer = await openPeer();
    await call(drachtio, peer);
    const bye = await drachtio.appRequest('BYE');
    expect(bye.message.get('Reason')).toBe('Q.850;cause=16;text="max_duration"');
    drachtio.respondTo(bye, 200);
    const record = await bridge.ended(1);
    expect(record.endReason).toBe('max_duration');
    expect(record.durationMs).toBeGreaterThanOrEqual(1_490);
    // The call was live until then: the greeting went out on the wire.
    expect(peer.received.some(loud)).toBe(true);
    expect(bridge.app.sip!.rtpPortsInUse()).toBe(0);
  });

  it('leaves no RTP port, call, socket or timer behind after 100 calls, 10 at a time', async () => {
    const { bridge, drachtio } = await startSipBridge({ maxCalls: 10 });
    // One far end for every call: the offers all point at it, which is all the bridge needs.
    const peer = await openPeer();
    await settle({});
    const before = handles();
    const total = 100;
    const concurrent = 10;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < total) {
        const n = next++;
        // A calling number per call, to find it in the registry (the caller's number is in its identity).
        const from = `+1555123${String(n).padStart(4, '0')}`;
        const { dialog } = await call(drachtio, peer, `sip:${from}@carrier.example`);
        // Half hang up at once (the model session may still be connecting), half once it is up.
        if (n % 2 === 1) {
          const active = (): boolean => bridge.app.calls.list().some((c) => c.identity.from === from && c.state === 'active');
          await waitUntil(active, `call ${n} active`, 5_000);
        }
        expect((await drachtio.sendBye(dialog).finalResponse()).status).toBe(200);
      }
    };
    await Promise.all(Array.from({ length: concurrent }, worker));
    await bridge.ended(total);
    expect(bridge.records.map((r) => r.endReason).every((reason) => reason === 'caller_hangup')).toBe(true);
    expect(bridge.app.calls.size).toBe(0);
    expect(bridge.app.sip!.rtpPortsInUse()).toBe(0);
    expect(drachtio.activeDialogs).toHaveLength(0);
    // Every model session the simulator accepted was closed by the bridge.
    await waitUntil(() => bridge.sim.sessions.every((s: SimulatedSession) => s.ended !== undefined), 'every model session closed', 2_000);
    expect(bridge.sim.sessions.every((s) => s.ended?.cause === 'client_closed')).toBe(true);
    await settle(before);
    const after = handles();
    expect(after.UDPWrap ?? 0).toBeLessThanOrEqual(before.UDPWrap ?? 0);
    expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual(before.TCPSocketWrap ?? 0);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual((before.Timeout ?? 0) + 1);
    // The RTP sockets and the send clock live in the RTP thread: it holds none of them any more.
    let rtp = await bridge.app.sip!.rtp.inspect();
    for (let i = 0; i < 100 && (rtp.threadHandles?.UDPWrap ?? 0) + (rtp.threadHandles?.Timeout ?? 0) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      rtp = await bridge.app.sip!.rtp.inspect();
    }
    expect(rtp.thread).toBe('worker');
    expect(rtp.streams).toBe(0);
    expect(rtp.threadHandles?.UDPWrap ?? 0).toBe(0);
    expect(rtp.threadHandles?.Timeout ?? 0).toBe(0);
  }, 30_000);

  it('ends its calls as media_failed, with BYE, when the RTP thread dies; the next call gets a new thread', async () => {
    const threads: Worker[] = [];
    const { bridge, drachtio } = await startSipBridge({
      spawnRtpThread: (settings) => {
        const thread = spawnRtpThread(settings);
        threads.push(thread);
        return thread;
      },
    });
    const peer = await openPeer();
    await call(drachtio, peer);
    await waitUntil(() => peer.received.some(loud), 'greeting audio at the RTP peer', 8_000);

    // Ended from outside, as a crash would: the bridge did not ask for it.
    await threads[0]!.terminate();
    const bye = await drachtio.appRequest('BYE');
    expect(bye.message.get('Reason')).toBe('Q.850;cause=16;text="media_failed"');
    drachtio.respondTo(bye, 200);
    const record = await bridge.ended(1);
    expect(record.endReason).toBe('media_failed');
    expect(record.endDetail).toBe('the RTP thread exited (code 1)');
    expect(bridge.app.sip!.rtpPortsInUse()).toBe(0);

    const heard = peer.received.length;
    const second = await call(drachtio, peer, 'sip:+15551239999@carrier.example');
    expect(threads).toHaveLength(2);
    await waitUntil(() => peer.received.slice(heard).some(loud), 'the second call’s greeting', 8_000);
    expect((await drachtio.sendBye(second.dialog).finalResponse()).status).toBe(200);
    const secondRecord = await bridge.ended(2);
    expect(secondRecord.endReason).toBe('caller_hangup');
    // The first call ended once: one record, one reason.
    expect(bridge.records.map((r) => r.endReason)).toEqual(['media_failed', 'caller_hangup']);
  }, 30_000);
});
