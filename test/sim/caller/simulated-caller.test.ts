import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readWav } from '../../../src/audio/wav.js';
import type { MediaEvent } from '../../../src/call/media-leg.js';
import {
  bargeInAfterAgentSpeaksMs,
  dtmf,
  hangup,
  say,
  silence,
  waitForAgentAudio,
  waitForAgentSilence,
} from '../../../src/sim/caller/caller-script.js';
import { SimulatedCaller } from '../../../src/sim/caller/simulated-caller.js';
import { startHarness, until, type AdmittedCall, type Harness } from '../../media/fork-harness.js';

const RATE_HZ = 8000;
const tone = (ms: number) =>
  Int16Array.from({ length: (ms * RATE_HZ) / 1000 }, (_, i) => Math.round(8000 * Math.cos((2 * Math.PI * 400 * i) / RATE_HZ)));
const peak = (pcm: Int16Array) => pcm.reduce((max, s) => Math.max(max, Math.abs(s)), 0);
const callerSpoke = (call: AdmittedCall) => call.events.some((e) => e.type === 'audio' && peak(e.pcm) > 1000);
const of = <T extends MediaEvent['type']>(call: AdmittedCall, type: T) =>
  call.events.filter((e): e is Extract<MediaEvent, { type: T }> => e.type === type);

/** The agent's answer, delivered faster than real time as a bridge with a playout lead would. */
function agentSpeaks(call: AdmittedCall, ms: number, mark: string): void {
  const answer = tone(ms);
  for (let at = 0; at < answer.length; at += 160) call.leg.sendAudio(answer.subarray(at, at + 160));
  call.leg.mark?.(mark);
}

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('SimulatedCaller over the Twilio dialect', () => {
  it('hears the agent until the barge-in clear, and not the audio the clear dropped', async () => {
    const caller = await SimulatedCaller.connect({ url: h.url('/media/twilio'), to: '+15550001111', from: '+15550002222' });
    await until(() => h.calls.length === 1, 'admission');
    const call = h.calls[0]!;
    expect(call.identity).toMatchObject({ to: '+15550001111', from: '+15550002222', transport: 'twilio' });

    agentSpeaks(call, 1000, 'end-of-answer');
    const running = caller.run([bargeInAfterAgentSpeaksMs(300, tone(200)), waitForAgentSilence(100), hangup()]);
    await until(() => callerSpoke(call), 'caller speech at the bridge');
    call.leg.clear();
    const report = await running;

    expect(report.endedBy).toBe('caller');
    expect(report.invalidFromBridge).toEqual([]);
    expect(report.steps.every((s) => s.ok)).toBe(true);
    const [bargeIn] = report.bargeIns;
    const [clearAt] = report.clearsReceivedMs;
    expect(bargeIn!.atMs - report.firstAgentAudioHeardMs!).toBeGreaterThanOrEqual(300);
    expect(report.clearsReceivedMs).toHaveLength(1);
    expect(clearAt).toBeGreaterThanOrEqual(bargeIn!.atMs);

    // Heard exactly what played before the clear; the rest was received but never heard.
    const { receivedMs, heardMs, clearedMs } = report.agentAudio;
    expect(receivedMs).toBe(1000);
    expect(heardMs + clearedMs).toBe(1000);
    expect(heardMs).toBeGreaterThanOrEqual(300);
    expect(clearedMs).toBeGreaterThan(0);
    expect(report.lastAgentAudioHeardMs).toBeLessThanOrEqual(clearAt!);
    // Equal unless a frame arrived late and playout ran dry in between (an underrun adds a gap).
    expect(report.lastAgentAudioHeardMs! - report.firstAgentAudioHeardMs!).toBeGreaterThanOrEqual(heardMs - 0.5);

    const heard = caller.heardPcm();
    const clearSample = Math.ceil((clearAt! * RATE_HZ) / 1000);
    expect(peak(heard.subarray(0, clearSample))).toBeGreaterThan(7000);
    expect(peak(heard.subarray(clearSample))).toBe(0);

    // The pending mark came back when the clear dropped its audio; one hangup from `stop`.
    expect(of(call, 'mark')).toEqual([{ type: 'mark', name: 'end-of-answer' }]);
    expect(report.marksEchoed).toBe(1);
    expect(of(call, 'hangup')).toHaveLength(1);
    expect(of(call, 'audio')).toHaveLength(report.framesSent);
    expect(report.callerSpeechSentMs).toBe(200);
  });

  it('sends a frame every 20 ms, silence included, and records what it heard to a WAV', async () => {
    const caller = await SimulatedCaller.connect({ url: h.url('/media/twilio'), to: '+15550001111' });
    await until(() => h.calls.length === 1, 'admission');
    const call = h.calls[0]!;
    agentSpeaks(call, 200, 'm1');
    const report = await caller.run([waitForAgentAudio(), waitForAgentSilence(100), say(tone(100)), silence(100)]);

    expect(report.endedBy).toBe('caller');
    expect(report.agentAudio).toEqual({ receivedMs: 200, heardMs: 200, clearedMs: 0 });
    // Frame k is due at k × 20 ms; a late timer may leave the last few unsent when the call ends.
    expect(report.framesSent).toBeGreaterThanOrEqual(Math.floor(report.durationMs / 20) - 5);
    expect(report.framesSent).toBeLessThanOrEqual(Math.floor(report.durationMs / 20) + 1);
    expect(of(call, 'mark')).toEqual([{ type: 'mark', name: 'm1' }]);

    const dir = await mkdtemp(join(tmpdir(), 'caller-'));
    try {
      const path = join(dir, 'heard.wav');
      await caller.writeHeardWav(path);
      const wav = readWav(await readFile(path));
      expect(wav.sampleRateHz).toBe(8000);
      expect(wav.channelsInFile).toBe(1);
      expect(wav.samples).toEqual(caller.heardPcm());
      expect(wav.samples.length).toBeGreaterThanOrEqual(200 * 8);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('ends when the bridge hangs up, without waiting out its steps', async () => {
    const caller = await SimulatedCaller.connect({ url: h.url('/media/twilio'), to: '+15550001111' });
    await until(() => h.calls.length === 1, 'admission');
    const running = caller.run([waitForAgentAudio(10_000), hangup()]);
    h.calls[0]!.leg.close('agent_hangup');
    const report = await running;
    expect(report).toMatchObject({ endedBy: 'bridge', closeCode: 1000, closeReason: 'agent_hangup' });
    // Ended by the bridge, its 10 s wait unfinished (waited out, it would have ended by step_timeout).
    expect(report.steps).toMatchObject([{ step: 'waitForAgentAudio()', ok: false }]);
  });

  it('gives up on a wait that times out, and on a call that runs too long', async () => {
    const waiting = await SimulatedCaller.connect({ url: h.url('/media/twilio'), to: '+1' });
    const timedOut = await waiting.run([waitForAgentAudio(100), say('goodbye')]);
    expect(timedOut.endedBy).toBe('step_timeout');
    expect(timedOut.steps).toMatchObject([{ step: 'waitForAgentAudio()', ok: false }]);

    const long = await SimulatedCaller.connect({ url: h.url('/media/twilio'), to: '+1', maxCallMs: 150 });
    const capped = await long.run([silence(10_000)]);
    // Its only step is 10 s of silence: ending by max_duration means the 150 ms cap ended it.
    expect(capped.endedBy).toBe('max_duration');
    await until(() => h.calls.every((c) => of(c, 'hangup').length === 1), 'both hangups');
  });

  it('refuses to start when the bridge refuses the upgrade', async () => {
    await expect(SimulatedCaller.connect({ url: h.url('/media/twilio', 'wrong'), to: '+1' })).rejects.toThrow(/HTTP 401/);
  });
});

describe('SimulatedCaller over the audio-fork dialect', () => {
  it('streams L16, hears L16, echoes marks as played, and sends DTMF', async () => {
    const caller = await SimulatedCaller.connect({ url: h.url('/media/audio-fork'), dialect: 'audio_fork', to: '100' });
    await until(() => h.calls.length === 1, 'admission');
    const call = h.calls[0]!;
    expect(call.identity).toMatchObject({ to: '100', transport: 'audio_fork' });
    expect(call.leg.sampleRateHz).toBe(8000);

    agentSpeaks(call, 200, 'm1');
    const report = await caller.run([waitForAgentAudio(), waitForAgentSilence(60), dtmf('5'), say(tone(60))]);
    expect(report.invalidFromBridge).toEqual([]);
    expect(report.agentAudio).toEqual({ receivedMs: 200, heardMs: 200, clearedMs: 0 });
    expect(of(call, 'mark')).toEqual([{ type: 'mark', name: 'm1' }]);
    expect(of(call, 'dtmf')).toEqual([{ type: 'dtmf', digit: '5' }]);
    await until(() => of(call, 'hangup').length === 1, 'hangup');
    expect(callerSpoke(call)).toBe(true);
  });
});
