/**
 * A bounded fuzz run (seeded, so a failure replays): thousands of malformed and wrongly typed
 * frames of each dialect against the codecs, then a few hundred on real sockets beside a healthy
 * stream, and broken WebSocket frames written byte by byte. The contract: nothing throws, every
 * bad frame is a violation of a known kind, every connection that is closed is closed with a code
 * the README documents, and the healthy stream is untouched.
 */
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { closeCodeFor } from '../../src/media/close-codes.js';
import { AudioForkDecoder, decodeAudioForkMetadata } from '../../src/media/protocols/audio-fork.js';
import { decodeTwilioFrame } from '../../src/media/protocols/twilio.js';
import type { InboundFrame } from '../../src/media/protocols/violation.js';
import { startHarness, TestClient, TOKEN, type Harness } from './fork-harness.js';

/** The close codes the README's table lists. */
const DOCUMENTED = new Set([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 4403, 4408, 4429]);

/** mulberry32: small, seeded, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TWILIO_START = {
  event: 'start',
  sequenceNumber: '1',
  streamSid: 'MZ1',
  start: {
    streamSid: 'MZ1',
    accountSid: 'AC1',
    callSid: 'CA1',
    tracks: ['inbound'],
    customParameters: { to: '+15550100' },
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
  },
};
const TWILIO_MEDIA = { event: 'media', sequenceNumber: '2', streamSid: 'MZ1', media: { track: 'inbound', chunk: '1', timestamp: '20', payload: Buffer.alloc(160, 0xff).toString('base64') } };
const TWILIO_DTMF = { event: 'dtmf', streamSid: 'MZ1', dtmf: { track: 'inbound_track', digit: '5' } };
const FORK_METADATA = { callSid: 'c1', to: '+15550100', from: '+15550199', sampleRate: 8000, mixType: 'mono' };

class Mutator {
  constructor(private readonly random: () => number) {}

  /** Seeded bytes, so a failing run replays. */
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => Math.floor(this.random() * 256)));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** A value of some other type than the field had. */
  oddValue(): unknown {
    return this.pick<() => unknown>([
      () => null,
      () => true,
      () => -1,
      () => 1e308,
      () => '',
      () => 'x'.repeat(1 + Math.floor(this.random() * 5000)),
      () => [],
      () => [1, 'a', null],
      () => ({}),
      () => ({ nested: { deeper: [{}] } }),
      () => '\u0000\ud800',
      () => '8k',
      () => '-0',
      () => 'NaN',
    ])();
  }

  /** The message with one field (at any depth) retyped, removed, or a stray one added. */
  mutate(value: unknown, depth = 0): unknown {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.oddValue();
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const roll = this.random();
    if (keys.length === 0 || roll < 0.1) copy[this.pick(['event', 'streamSid', 'media', 'start', '__proto__', 'constructor', 'x'])] = this.oddValue();
    else {
      const key = this.pick(keys);
      if (roll < 0.2) delete copy[key];
      else if (depth < 3 && typeof copy[key] === 'object' && copy[key] !== null && this.random() < 0.6) copy[key] = this.mutate(copy[key], depth + 1);
      else copy[key] = this.oddValue();
    }
    return copy;
  }

  /** A text frame: mutated JSON, truncated JSON, or noise. */
  textFrame(seed: unknown): InboundFrame {
    const roll = this.random();
    const json = JSON.stringify(this.mutate(seed));
    if (roll < 0.75) return { kind: 'text', text: json };
    if (roll < 0.9) return { kind: 'text', text: json.slice(0, Math.floor(this.random() * json.length)) };
    return { kind: 'text', text: this.bytes(1 + Math.floor(this.random() * 64)).toString('latin1') };
  }
}

describe('fuzzing the codecs', () => {
  it('Twilio: 5,000 mutated frames never throw; each is a message or a violation of a known kind', () => {
    const m = new Mutator(prng(8));
    const seeds = [TWILIO_START, TWILIO_MEDIA, TWILIO_DTMF, { event: 'stop', streamSid: 'MZ1' }, { event: 'mark', streamSid: 'MZ1', mark: { name: 'm1' } }];
    let violations = 0;
    for (let i = 0; i < 5_000; i += 1) {
      const frame = i % 50 === 0 ? { kind: 'binary' as const, bytes: m.bytes(i % 7) } : m.textFrame(m.pick(seeds));
      const result = decodeTwilioFrame(frame);
      if (!result.ok) {
        violations += 1;
        expect(DOCUMENTED.has(closeCodeFor(result.violation.kind))).toBe(true);
        expect(result.violation.detail.length).toBeLessThanOrEqual(200);
      }
    }
    // Most mutations must be caught, or the fuzzer is not reaching the checks.
    expect(violations).toBeGreaterThan(2_500);
  });

  it('audio fork: 5,000 mutated metadata and stream frames never throw', () => {
    const m = new Mutator(prng(9));
    let violations = 0;
    for (let i = 0; i < 2_500; i += 1) {
      const frame = m.textFrame(FORK_METADATA);
      const result = decodeAudioForkMetadata(frame.kind === 'text' ? frame.text : '');
      if (!result.ok) {
        violations += 1;
        expect(DOCUMENTED.has(closeCodeFor(result.violation.kind))).toBe(true);
      }
    }
    const decoder = new AudioForkDecoder();
    expect(decoder.decode({ kind: 'text', text: JSON.stringify(FORK_METADATA) }).ok).toBe(true);
    for (let i = 0; i < 2_500; i += 1) {
      const frame: InboundFrame = i % 3 === 0 ? { kind: 'binary', bytes: m.bytes(i % 401) } : m.textFrame(m.pick([FORK_METADATA, { event: 'dtmf', dtmf: '5' }, { type: 'mark', data: { name: 'm' } }]));
      const result = decoder.decode(frame);
      if (!result.ok) expect(DOCUMENTED.has(closeCodeFor(result.violation.kind))).toBe(true);
    }
    expect(violations).toBeGreaterThan(100);
  });
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A masked client frame, written by hand so it can be wrong in ways `ws` never is. */
function clientFrame(opts: { opcode: number; payload: Buffer; fin?: boolean; rsv?: number; masked?: boolean }): Buffer {
  const first = (opts.fin === false ? 0 : 0x80) | ((opts.rsv ?? 0) << 4) | opts.opcode;
  const masked = opts.masked !== false;
  const len = opts.payload.length;
  const header = len < 126 ? Buffer.from([first, (masked ? 0x80 : 0) | len]) : Buffer.from([first, (masked ? 0x80 : 0) | 126, len >> 8, len & 0xff]);
  if (!masked) return Buffer.concat([header, opts.payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(opts.payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([header, mask, body]);
}

/** Opens a raw upgraded socket, writes the frames, resolves with the close code the server sent. */
function rawStream(port: number, frames: Buffer[]): Promise<number | 'no close frame'> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        for (const frame of frames) socket.write(frame);
      }
      // A close frame from the server: opcode 8, unmasked, 2-byte code first.
      for (let at = 0; at + 4 <= buffer.length; ) {
        const opcode = buffer[at]! & 0x0f;
        const len = buffer[at + 1]! & 0x7f;
        if (opcode === 8 && len >= 2) {
          resolve(buffer.readUInt16BE(at + 2));
          socket.destroy();
          return;
        }
        at += 2 + len;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve('no close frame'));
    socket.write(
      [
        `GET /media/twilio?token=${TOKEN} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        '',
        '',
      ].join('\r\n'),
    );
  });
}

describe('fuzzing the endpoint on real sockets', () => {
  it('300 streams sending mutated frames beside a healthy one: documented close codes, healthy stream untouched', async () => {
    h = await startHarness();
    const healthy = await TestClient.open(h.url('/media/twilio'));
    healthy.sendJson({ ...TWILIO_START, streamSid: 'MZhealthy', start: { ...TWILIO_START.start, streamSid: 'MZhealthy', callSid: 'CAhealthy' } });
    const m = new Mutator(prng(10));
    const codes: number[] = [];
    for (let batch = 0; batch < 6; batch += 1) {
      const clients = await Promise.all(Array.from({ length: 50 }, () => TestClient.open(h!.url('/media/twilio'))));
      for (const client of clients) {
        client.sendJson(TWILIO_START);
        for (let i = 0; i < 5; i += 1) {
          const frame = m.textFrame(m.pick([TWILIO_MEDIA, TWILIO_DTMF, TWILIO_START]));
          if (frame.kind === 'text') client.ws.send(frame.text);
        }
        client.ws.send(m.bytes(8)); // binary on the JSON dialect: always a violation
        healthy.sendJson({ ...TWILIO_MEDIA, streamSid: 'MZhealthy' });
      }
      codes.push(...(await Promise.all(clients.map((c) => c.closed))).map((c) => c.code));
    }
    expect(codes).toHaveLength(300);
    expect(codes.filter((code) => !DOCUMENTED.has(code))).toEqual([]);
    const healthyCall = h.calls.find((c) => c.identity.externalId === 'CAhealthy')!;
    expect(healthyCall.events.filter((e) => e.type === 'audio')).toHaveLength(300);
    expect(healthyCall.events.some((e) => e.type === 'protocol_error' || e.type === 'hangup')).toBe(false);
    healthy.ws.close();
  });

  it('broken WebSocket frames close with 1002, 1007 or 1009, never anything else', async () => {
    h = await startHarness({ maxFrameBytes: 1024 });
    const cases: Array<[string, Buffer[], number]> = [
      ['reserved opcode 3', [clientFrame({ opcode: 3, payload: Buffer.from('x') })], 1002],
      ['RSV1 without an extension', [clientFrame({ opcode: 1, payload: Buffer.from('{}'), rsv: 4 })], 1002],
      ['unmasked client frame', [clientFrame({ opcode: 1, payload: Buffer.from('{}'), masked: false })], 1002],
      ['fragmented control frame', [clientFrame({ opcode: 9, payload: Buffer.from('p'), fin: false })], 1002],
      ['continuation with nothing to continue', [clientFrame({ opcode: 0, payload: Buffer.from('x') })], 1002],
      ['invalid UTF-8 text', [clientFrame({ opcode: 1, payload: Buffer.from([0xc3, 0x28]) })], 1007],
      ['a frame above maxFrameBytes', [clientFrame({ opcode: 1, payload: Buffer.alloc(2_000, 0x20) })], 1009],
      ['close frame with a reserved code', [clientFrame({ opcode: 8, payload: Buffer.from([0x03, 0xed]) })], 1002],
    ];
    for (const [name, frames, expected] of cases) {
      expect([name, await rawStream(h.port, frames)]).toEqual([name, expected]);
    }
  });
});
