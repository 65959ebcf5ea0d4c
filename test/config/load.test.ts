import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, qwenEndpoint } from '../../src/config/load.js';
import { loadUnavailableRecording } from '../../src/unavailable-recording.js';

function overrideFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'qpb-config-'));
  const path = join(dir, 'override.yaml');
  writeFileSync(path, yaml);
  return path;
}

describe('configuration', () => {
  it('loads the documented defaults with secrets from the environment only', () => {
    const config = loadConfig({ DASHSCOPE_API_KEY: 'sk-test', BRIDGE_MEDIA_TOKEN: 'tok' });
    expect(config.qwen.sessionCapMs).toBe(7_200_000);
    expect(config.calls.resampler).toBe('fir');
    expect(config.secrets).toEqual({ dashscopeApiKey: 'sk-test', mediaToken: 'tok' });
    expect(config.agentsPath).toMatch(/config[\\/]agents$/);
  });

  it('merges an override file and environment variables over the defaults', () => {
    const path = overrideFile('calls:\n  maxConcurrent: 7\nqwen:\n  region: beijing\n');
    const config = loadConfig({ BRIDGE_CONFIG: path, PORT: '9090' });
    expect(config.calls.maxConcurrent).toBe(7);
    expect(config.calls.playoutLeadMs).toBe(60);
    expect(config.http.port).toBe(9090);
    expect(qwenEndpoint(config)).toBe('wss://dashscope.aliyuncs.com/api-ws/v1/realtime');
  });

  it('names the key and the problem when a value is wrong', () => {
    const path = overrideFile('calls:\n  playoutLeadMs: "fast"\n  bogus: 1\n');
    expect(() => loadConfig({ BRIDGE_CONFIG: path })).toThrow(ConfigError);
    expect(() => loadConfig({ BRIDGE_CONFIG: path })).toThrow(/calls\.playoutLeadMs/);
    expect(() => loadConfig({ BRIDGE_CONFIG: path })).toThrow(/bogus/);
  });

  it('picks the Singapore workspace endpoint when a workspace id is given', () => {
    const config = loadConfig({ QWEN_WORKSPACE_ID: 'ws123' });
    expect(qwenEndpoint(config)).toBe('wss://ws123.ap-southeast-1.maas.aliyuncs.com/api-ws/v1/realtime');
    expect(qwenEndpoint(loadConfig({}))).toBe('wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime');
  });

  it('reads booleans strictly from the environment: an unknown word is an error naming the variable', () => {
    expect(loadConfig({ SIP_ENABLED: 'yes' }).sip.enabled).toBe(true);
    expect(loadConfig({ SIP_ENABLED: 'TRUE' }).sip.enabled).toBe(true);
    expect(loadConfig({ SIP_ENABLED: 'off' }).sip.enabled).toBe(false);
    expect(loadConfig({ SIP_ENABLED: '0' }).sip.enabled).toBe(false);
    expect(() => loadConfig({ SIP_ENABLED: 'ture' })).toThrow(ConfigError);
    expect(() => loadConfig({ SIP_ENABLED: 'ture' })).toThrow(/SIP_ENABLED="ture" is not a boolean/);
    expect(() => loadConfig({ RECORDING_ENABLED: 'enabled' })).toThrow(/RECORDING_ENABLED/);
  });

  it('takes the Twilio account SID as a secret and an ops port from the environment', () => {
    const config = loadConfig({ TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 't', OPS_PORT: '9464' });
    expect(config.secrets).toMatchObject({ twilioAccountSid: 'AC123', twilioAuthToken: 't' });
    expect(config.ops.port).toBe(9464);
    expect(loadConfig({}).ops.port).toBeNull();
  });

  it('resolves the apology recording against the file that names it, and the shipped one loads', () => {
    const shipped = loadConfig({}).calls.unavailable!;
    expect(shipped.path).toMatch(/config[\\/]sounds[\\/]model-unavailable\.wav$/);
    expect(loadUnavailableRecording(shipped)).toMatchObject({ sampleRateHz: 8000, transcript: expect.stringMatching(/^We're sorry/) as string });
    const path = overrideFile('calls:\n  unavailable: { path: mine.wav, transcript: Sorry. }\n');
    expect(loadConfig({ BRIDGE_CONFIG: path }).calls.unavailable!.path).toBe(join(dirname(path), 'mine.wav'));
    expect(() => loadUnavailableRecording({ path: join(dirname(path), 'mine.wav'), transcript: 'Sorry.' })).toThrow(/calls\.unavailable\.path: cannot read/);
    expect(loadConfig({ BRIDGE_CONFIG: overrideFile('calls:\n  unavailable: null\n') }).calls.unavailable).toBeNull();
  });
});
