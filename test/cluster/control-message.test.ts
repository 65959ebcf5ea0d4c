import { describe, expect, it } from 'vitest';
import { parseControlMessage } from '../../src/cluster/control-channel.js';

describe('control messages on the cluster channel', () => {
  it('accepts a hang-up and a drain addressed to a member, and ignores anything else', () => {
    expect(parseControlMessage('{"op":"hangup","to":"host-1:42","callId":"c1"}')).toEqual({ op: 'hangup', to: 'host-1:42', callId: 'c1' });
    expect(parseControlMessage('{"op":"drain","to":"*"}')).toEqual({ op: 'drain', to: '*' });
    for (const junk of [
      '',
      'not json',
      'null',
      '[]',
      '{"op":"hangup","to":"a"}',
      '{"op":"drain"}',
      '{"op":"reboot","to":"a"}',
      '{"op":"hangup","to":"a","callId":7}',
    ]) {
      expect(parseControlMessage(junk)).toBeUndefined();
    }
  });
});
