/**
 * One test call into a running bridge, the way a carrier's media stream would place it: connect
 * to the fork endpoint, wait for the greeting, speak a recorded line, listen to the answer, hang
 * up. Reports what was heard (when the agent spoke, from the audio), the latencies, how the call
 * ended, and — when the admin token is at hand — the bridge's own transcript of the call.
 */
import { randomBytes } from 'node:crypto';
import { twilioSignature } from '../twilio/signature.js';
import {
  CALLER_FIXTURES,
  hangup,
  say,
  SimulatedCaller,
  waitForAgentAudio,
  waitForAgentSilence,
  type CallerFixture,
  type CallerReport,
} from './caller/index.js';
import { heardSegments, type HeardSegment } from './heard-segments.js';

export interface TestCallOptions {
  /** ws(s)://host[:port]/media/twilio | /media/signalwire | /media/audio-fork */
  url: string;
  to: string;
  from?: string;
  /** The bridge's media token (BRIDGE_MEDIA_TOKEN). */
  token?: string;
  /** Sign the upgrade as Twilio would (for bridges that take Twilio's signature only). */
  twilioAuthToken?: string;
  /** Where the bridge's HTTP API is (default: the stream URL's host) and its admin token. */
  apiBase?: string;
  adminToken?: string;
  line?: CallerFixture;
  /** How long to wait for each thing the agent says. */
  waitMs?: number;
}

export interface TestCallResult {
  callSid: string;
  line: string;
  report: CallerReport;
  heardPcm: Int16Array;
  heard: HeardSegment[];
  /** Connect → the first agent audio heard (the greeting). */
  greetingMs: number | null;
  /** The caller's line ended → the first agent audio heard after it. */
  replyMs: number | null;
  /** How the bridge says the call ended, and its transcript (admin API), when available. */
  bridgeRecord?: { endReason: string; turns: Array<{ role: string; text: string; atMs: number }> };
}

export async function placeTestCall(opts: TestCallOptions): Promise<TestCallResult> {
  const line = opts.line ?? 'order-status';
  const parsed = new URL(opts.url);
  const dialect = parsed.pathname.endsWith('/audio-fork') ? 'audio_fork' : 'twilio';
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  else if (opts.twilioAuthToken) headers['x-twilio-signature'] = twilioSignature(opts.twilioAuthToken, opts.url);
  const callSid = dialect === 'twilio' ? `CA${randomBytes(16).toString('hex')}` : `test-${randomBytes(8).toString('hex')}`;
  const waitMs = opts.waitMs ?? 15_000;
  const caller = await SimulatedCaller.connect({
    url: opts.url,
    headers,
    dialect,
    to: opts.to,
    from: opts.from ?? '+15550000001',
    callSid,
    maxCallMs: 120_000,
    stepTimeoutMs: waitMs,
  });
  const report = await caller.run([
    waitForAgentAudio(waitMs),
    waitForAgentSilence(700, waitMs),
    say(line),
    waitForAgentAudio(waitMs),
    waitForAgentSilence(1_000, waitMs),
    hangup(),
  ]);
  const heardPcm = caller.heardPcm();
  const heard = heardSegments(heardPcm, 8000);
  const sayStep = report.steps.find((step) => step.step.startsWith('say'));
  const afterLine = sayStep ? heard.find((segment) => segment.startMs >= sayStep.endedMs) : undefined;
  const result: TestCallResult = {
    callSid,
    line: CALLER_FIXTURES[line],
    report,
    heardPcm,
    heard,
    greetingMs: report.firstAgentAudioHeardMs ?? null,
    replyMs: afterLine && sayStep ? Math.round(afterLine.startMs - sayStep.endedMs) : null,
  };
  if (opts.adminToken) {
    const record = await fetchRecord(opts.apiBase ?? httpBaseOf(parsed), opts.adminToken, callSid);
    if (record) result.bridgeRecord = record;
  }
  return result;
}

function httpBaseOf(url: URL): string {
  return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
}

/** The call record, once the bridge has written it (records are written off the call path). */
async function fetchRecord(apiBase: string, adminToken: string, externalId: string): Promise<TestCallResult['bridgeRecord']> {
  const headers = { authorization: `Bearer ${adminToken}` };
  for (let attempt = 0; attempt < 20; attempt++) {
    const list = await fetch(`${apiBase}/calls?externalId=${encodeURIComponent(externalId)}`, { headers }).catch(() => undefined);
    if (list?.ok) {
      const page = (await list.json()) as { calls?: Array<{ callId: string }> };
      const callId = page.calls?.[0]?.callId;
      if (callId !== undefined) {
        const one = await fetch(`${apiBase}/calls/${callId}`, { headers });
        if (one.ok) return (await one.json()) as TestCallResult['bridgeRecord'];
      }
    } else if (list !== undefined) {
      return undefined; // 401/404: no records API here
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}
