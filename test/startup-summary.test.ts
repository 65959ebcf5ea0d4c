import { describe, expect, it } from 'vitest';
import { startupSummary, type StartupFacts } from '../src/startup-summary.js';

const facts: StartupFacts = {
  publicBaseUrl: 'wss://bridge.example.com',
  listen: { host: '0.0.0.0', port: 8080 },
  ops: null,
  platforms: { twilioVoiceWebhook: true, twilioRestTransfer: true, jambonzWebhook: true },
  paths: { twilioVoice: '/twilio/voice', jambonzCall: '/jambonz/call' },
  sip: { drachtio: '127.0.0.1:9022', advertisedAddress: '203.0.113.10', rtpPorts: '20000-24999/udp' },
};

describe('start-up summary', () => {
  it('names the transports and the exact URLs to give each platform', () => {
    const summary = startupSummary(facts);
    expect(summary.transports).toEqual(['websocket-fork', 'sip']);
    expect(summary.urls).toMatchObject({
      twilioVoiceWebhook: 'https://bridge.example.com/twilio/voice',
      twilioStream: 'wss://bridge.example.com/media/twilio',
      jambonzCallingWebhook: 'https://bridge.example.com/jambonz/call',
      audioForkStream: 'wss://bridge.example.com/media/audio-fork',
      twilioTransfer: 'Twilio REST (<Dial>)',
      sip: 'drachtio-server 127.0.0.1:9022; RTP 203.0.113.10 ports 20000-24999/udp',
      metrics: 'http://0.0.0.0:8080/metrics',
    });
    expect(summary.warnings).toEqual([]);
  });

  it('warns when no public base URL is set, and says what is off', () => {
    const summary = startupSummary({
      ...facts,
      publicBaseUrl: null,
      ops: { host: '127.0.0.1', port: 9464 },
      platforms: { twilioVoiceWebhook: false, twilioRestTransfer: false, jambonzWebhook: true },
      sip: null,
    });
    expect(summary.transports).toEqual(['websocket-fork']);
    expect(summary.urls.twilioStream).toBe('wss://PUBLIC-HOST:8080/media/twilio');
    expect(summary.urls.twilioVoiceWebhook).toBe('off (set TWILIO_AUTH_TOKEN)');
    expect(summary.urls.metrics).toBe('http://127.0.0.1:9464/metrics');
    expect(summary.warnings[0]).toMatch(/PUBLIC_BASE_URL is not set/);
  });
});
