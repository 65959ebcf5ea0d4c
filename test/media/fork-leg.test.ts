import { describe, expect, it } from 'vitest';
import { ForkLeg, type LegSocket, type LegWire } from '../../src/media/fork-leg.js';

class FakeSocket implements LegSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: (string | Buffer)[] = [];
  closes: { code: number; reason: string }[] = [];
  send(data: string | Buffer): void {
    this.sent.push(data);
  }
  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
    this.readyState = 2;
  }
}

/** 2 bytes per sample, like L16: a 20 ms frame at 8 kHz weighs 320 bytes. */
const wire: LegWire = {
  audio: (frame) => Buffer.alloc(frame.length * 2),
  clear: () => 'clear',
  mark: (name) => `mark:${name}`,
};

function makeLeg(socket: FakeSocket, maxBufferedAudioMs = 1000): { leg: ForkLeg; dropped: () => number } {
  let dropped = 0;
  const leg = new ForkLeg(socket, {
    sampleRateHz: 8000,
    wire,
    maxBufferedAudioMs,
    onDroppedFrame: () => (dropped += 1),
  });
  return { leg, dropped: () => dropped };
}

const frame20ms = new Int16Array(160);

describe('ForkLeg', () => {
  it('sends while the socket keeps up and drops, counting, once a second of audio is queued', () => {
    const socket = new FakeSocket();
    const { leg, dropped } = makeLeg(socket, 1000);
    leg.sendAudio(frame20ms);
    expect(socket.sent).toHaveLength(1);

    socket.bufferedAmount = 320 * 49; // 980 ms unsent: one more frame still fits
    leg.sendAudio(frame20ms);
    expect(socket.sent).toHaveLength(2);

    socket.bufferedAmount = 320 * 50; // a full second unsent
    leg.sendAudio(frame20ms);
    leg.sendAudio(frame20ms);
    expect(socket.sent).toHaveLength(2);
    expect(dropped()).toBe(2);
    expect(leg.droppedFrames).toBe(2);
  });

  it('never drops clear or marks for backpressure', () => {
    const socket = new FakeSocket();
    const { leg } = makeLeg(socket);
    socket.bufferedAmount = 10_000_000;
    leg.clear();
    leg.mark('m1');
    expect(socket.sent).toEqual(['clear', 'mark:m1']);
  });

  it('closes once with 1000 and a reason cut to the 123 bytes a close frame allows', () => {
    const socket = new FakeSocket();
    const { leg } = makeLeg(socket);
    leg.close('x'.repeat(300));
    leg.close('again');
    expect(socket.closes).toHaveLength(1);
    expect(socket.closes[0]?.code).toBe(1000);
    expect(Buffer.byteLength(socket.closes[0]?.reason ?? '')).toBe(123);
    leg.sendAudio(frame20ms);
    leg.clear();
    expect(socket.sent).toEqual([]);
  });

  it('closes a stream the call ended for sending faster than real time with 1008 media_overrun', () => {
    const socket = new FakeSocket();
    const { leg } = makeLeg(socket);
    leg.close('media_overrun');
    expect(socket.closes).toEqual([{ code: 1008, reason: 'media_overrun' }]);
  });

  it('after detach, sends nothing and close() does not replace the close code already chosen', () => {
    const socket = new FakeSocket();
    const { leg } = makeLeg(socket);
    leg.detach();
    leg.sendAudio(frame20ms);
    leg.close('call ended');
    expect(socket.sent).toEqual([]);
    expect(socket.closes).toEqual([]);
    expect(leg.closed).toBe(true);
  });

  it('sends nothing on a socket that is no longer open', () => {
    const socket = new FakeSocket();
    socket.readyState = 3;
    const { leg } = makeLeg(socket);
    leg.sendAudio(frame20ms);
    leg.mark('m');
    expect(socket.sent).toEqual([]);
  });
});
