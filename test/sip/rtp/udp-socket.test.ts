import { describe, expect, it } from 'vitest';
import { literalLookup } from '../../../src/sip/rtp/udp-socket.js';

describe('RTP socket destination lookup', () => {
  it('answers an IP literal before returning, so a packet leaves inside send()', () => {
    const answers: Array<[string, number]> = [];
    literalLookup('192.0.2.10', 4, (err, address, family) => {
      expect(err).toBeNull();
      answers.push([address, family]);
    });
    literalLookup('2001:db8::1', 6, (_err, address, family) => answers.push([address, family]));
    expect(answers).toEqual([
      ['192.0.2.10', 4],
      ['2001:db8::1', 6],
    ]);
  });

  it('still resolves a name through DNS (later)', async () => {
    let answered = false;
    const resolved = new Promise<string>((resolve, reject) =>
      literalLookup('localhost', 4, (err, address) => {
        answered = true;
        if (err) reject(err);
        else resolve(address);
      }),
    );
    expect(answered).toBe(false);
    expect(await resolved).toBe('127.0.0.1');
  });
});
