/**
 * A FreeSWITCH mod_audio_fork / jambonz `listen` stream (JSON metadata, then binary L16) gets the
 * same call as a Twilio stream: greeting, answer, barge-in by `killAudio`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bargeInAfterAgentSpeaksMs, say, silence, waitForAgentAudio, waitForAgentSilence } from '../../src/sim/caller/index.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe('an audio-fork (L16) call', () => {
  it('hears the greeting, is answered, and a barge-in flushes the far end with killAudio', async () => {
    bridge = await startBridge();
    const caller = await bridge.caller({ url: bridge.forkUrl('/media/audio-fork'), dialect: 'audio_fork' });
    const report = await caller.run([
      waitForAgentAudio(),
      waitForAgentSilence(500),
      say('order-status'),
      bargeInAfterAgentSpeaksMs(1000, 'opening-hours'),
      waitForAgentAudio(),
      silence(300),
    ]);
    const record = await bridge.ended(1);
    expect(record.identity.transport).toBe('audio_fork');
    expect(record.endReason).toBe('caller_hangup');
    expect(record.bargeIns).toHaveLength(1);
    expect(report.clearsReceivedMs).toHaveLength(1);
    expect(report.agentAudio.heardMs).toBeGreaterThan(2500);
    const callerTurns = record.turns.filter((t) => t.role === 'caller').map((t) => t.text);
    expect(callerTurns).toHaveLength(2);
  }, 30_000);
});
