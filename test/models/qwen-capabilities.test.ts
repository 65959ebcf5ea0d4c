import { describe, expect, it } from 'vitest';
import { capabilitiesOf, checkVoice, looksLikeClonedVoice } from '../../src/models/qwen-capabilities.js';

describe('Qwen model capabilities', () => {
  it('knows each family by its model names', () => {
    expect(capabilitiesOf('qwen3.8-omni-flash-realtime').family).toBe('qwen3.8-omni-flash');
    expect(capabilitiesOf('qwen3.5-omni-plus-realtime').family).toBe('qwen3.5-omni');
    expect(capabilitiesOf('qwen3.5-omni-flash-realtime-2026-03-15').family).toBe('qwen3.5-omni');
    expect(capabilitiesOf('qwen3-omni-flash-realtime').family).toBe('qwen3-omni-flash');
    expect(capabilitiesOf('qwen-omni-turbo-realtime-latest').family).toBe('qwen-omni-turbo');
    expect(capabilitiesOf('qwen9-omni-realtime').family).toBe('unknown');
  });

  it('keeps tools on qwen3.8 and qwen3.5, and knows older families drop them', () => {
    expect(capabilitiesOf('qwen3.8-omni-flash-realtime').tools).toBe('supported');
    expect(capabilitiesOf('qwen3.5-omni-flash-realtime').tools).toBe('supported');
    expect(capabilitiesOf('qwen3-omni-flash-realtime').tools).toBe('dropped');
    expect(capabilitiesOf('qwen-omni-turbo-realtime').tools).toBe('dropped');
  });

  it('picks the transcription model per family', () => {
    expect(capabilitiesOf('qwen3.5-omni-flash-realtime').transcriptionModel).toBe('qwen3-asr-flash-realtime');
    expect(capabilitiesOf('qwen3-omni-flash-realtime').transcriptionModel).toBe('gummy-realtime-v1');
  });

  it('rejects the previous generation default voices on qwen3.5 (seen live: Cherry and Chelsie fail)', () => {
    const verdict = checkVoice('qwen3.5-omni-flash-realtime', 'Cherry');
    expect(verdict.kind).toBe('unsupported');
    if (verdict.kind === 'unsupported') expect(verdict.why).toContain('Tina');
    expect(checkVoice('qwen3.5-omni-flash-realtime', 'Chelsie').kind).toBe('unsupported');
    expect(checkVoice('qwen3.5-omni-flash-realtime', 'Tina').kind).toBe('ok');
    expect(checkVoice('qwen3.5-omni-flash-realtime', 'Liora Mira').kind).toBe('ok');
    expect(checkVoice('qwen-omni-turbo-realtime', 'Tina').kind).toBe('unsupported');
    expect(checkVoice('qwen3-omni-flash-realtime', 'Cherry').kind).toBe('ok');
  });

  it('lets a cloned-voice id through with a warning where cloning exists, and checks nothing for unknown models', () => {
    expect(looksLikeClonedVoice('qwen-omni-vc-acme-1')).toBe(true);
    expect(looksLikeClonedVoice('Tina')).toBe(false);
    expect(checkVoice('qwen3.5-omni-plus-realtime', 'qwen-omni-vc-acme-1').kind).toBe('cloned');
    expect(checkVoice('qwen3-omni-flash-realtime', 'qwen-omni-vc-acme-1').kind).toBe('unsupported');
    expect(checkVoice('qwen9-omni-realtime', 'Anything').kind).toBe('unchecked');
  });
});
