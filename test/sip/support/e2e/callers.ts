/**
 * The two real callers of the end-to-end test, as files they read: a SIPp UAC scenario (PCMU +
 * telephone-event offer, a pre-encoded mu-law stream, then BYE) and a baresip configuration
 * folder (aufile source, sndfile recorder). Also the audio helpers both need: building the
 * caller's speech track and measuring what was heard.
 */
import { existsSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const RATE_HZ = 8000;

/** `ms` of digital silence at 8 kHz. */
export function silence(ms: number): Int16Array {
  return new Int16Array(Math.round((ms * RATE_HZ) / 1000));
}

export function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function durationMs(samples: Int16Array): number {
  return (samples.length * 1000) / RATE_HZ;
}

/** RMS level in dBFS of each `windowMs` window (-Infinity for digital silence). */
export function windowLevels(samples: Int16Array, windowMs = 20): number[] {
  const size = Math.round((windowMs * RATE_HZ) / 1000);
  const levels: number[] = [];
  for (let start = 0; start + size <= samples.length; start += size) {
    let sum = 0;
    for (let i = start; i < start + size; i++) sum += samples[i]! * samples[i]!;
    levels.push(20 * Math.log10(Math.sqrt(sum / size) / 32768));
  }
  return levels;
}

export interface SippScenario {
  /** Raw mu-law file the UAC streams once after the ACK (absolute path: sipp's cwd is ours). */
  ulawPath: string;
  /** How long the call stays up after the ACK before the UAC sends BYE. */
  holdMs: number;
}

/**
 * A UAC that offers PCMU and telephone-event like a carrier would, streams the caller's speech
 * with rtp_stream (SIPp 3.6.1: `file,loops,payloadType`; the file is raw codec data) and hangs
 * up. `[rtpstream_audio_port]` is the -mp port in SIPp 3.6.1. The 100/180 are optional: whether
 * drachtio-server or the bridge sends provisional responses is not what this test is about.
 */
export function sippUacScenario(s: SippScenario): string {
  const dialog = (method: string, cseq: number): string[] => [
    `${method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0`,
    'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]',
    'From: "E2E caller" <sip:+15551230000@[local_ip]:[local_port]>;tag=[pid]e2e[call_number]',
    `To: <sip:[service]@[remote_ip]:[remote_port]>${method === 'INVITE' ? '' : '[peer_tag_param]'}`,
    'Call-ID: [call_id]',
    `CSeq: ${cseq} ${method}`,
    'Contact: <sip:+15551230000@[local_ip]:[local_port]>',
    'Max-Forwards: 70',
    'User-Agent: e2e-sipp',
  ];
  const invite = [
    ...dialog('INVITE', 1),
    'Content-Type: application/sdp',
    'Content-Length: [len]',
    '',
    'v=0',
    'o=e2e 53655765 2353687637 IN IP[local_ip_type] [local_ip]',
    's=-',
    'c=IN IP[media_ip_type] [media_ip]',
    't=0 0',
    'm=audio [rtpstream_audio_port] RTP/AVP 0 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=ptime:20',
    'a=sendrecv',
  ];
  const cdata = (lines: string[]): string => `<![CDATA[\n${lines.join('\n')}\n]]>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="e2e PCMU caller">
  <send retrans="500">${cdata(invite)}</send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>${cdata([...dialog('ACK', 1), 'Content-Length: 0', ''])}</send>
  <nop><action><exec rtp_stream="${s.ulawPath},1,0"/></action></nop>
  <pause milliseconds="${s.holdMs}"/>
  <send retrans="500">${cdata([...dialog('BYE', 2), 'Content-Length: 0', ''])}</send>
  <recv response="200"/>
</scenario>
`;
}

/** Timestamps (ms, epoch) of the INVITE sent and its 200 received, from a SIPp -trace_msg log. */
export function sippSetupTimes(messageLog: string): { inviteAt: number; okAt: number } | undefined {
  // Each entry: a dashed line ending in "YYYY-MM-DD HH:MM:SS.micro", a direction line, the message.
  const entries = messageLog.split(/^-{10,} /m).slice(1);
  let inviteAt: number | undefined;
  let okAt: number | undefined;
  for (const entry of entries) {
    const stamp = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}\.\d+)/.exec(entry);
    if (!stamp) continue;
    const at = Date.parse(`${stamp[1]}T${stamp[2]!.slice(0, 12)}`);
    const sent = /message sent/.test(entry);
    if (inviteAt === undefined && sent && /^INVITE /m.test(entry)) inviteAt = at;
    if (okAt === undefined && !sent && /^SIP\/2\.0 200/m.test(entry) && /^CSeq:\s*1 INVITE/im.test(entry)) okAt = at;
  }
  return inviteAt !== undefined && okAt !== undefined ? { inviteAt, okAt } : undefined;
}

/**
 * baresip's module folder: BARESIP_MODULE_PATH when set, else <prefix>/lib/baresip/modules beside
 * the binary's <prefix>/bin (where both distribution packages and source installs put it).
 * Undefined when the modules this test loads are not there.
 */
export function baresipModulePath(binary: string): string | undefined {
  const candidate = process.env.BARESIP_MODULE_PATH ?? join(dirname(dirname(realpathSync(binary))), 'lib', 'baresip', 'modules');
  const needed = ['account.so', 'g711.so', 'aufile.so', 'aubridge.so', 'sndfile.so', 'menu.so'];
  return needed.every((module) => existsSync(join(candidate, module))) ? candidate : undefined;
}

export interface BaresipSetup {
  dir: string;
  /** Folder holding baresip's modules (aufile.so, sndfile.so, ...). */
  modulePath: string;
  listenPort: number;
  /** WAV (PCM16 mono 8 kHz) the caller "speaks"; baresip hangs up when it ends. */
  inputWav: string;
  /** Where sndfile writes dump-<time>-enc.wav (sent) and -dec.wav (heard). */
  recordDir: string;
  /** Even port range for baresip's RTP, away from the bridge's. */
  rtpPorts: [number, number];
}

/**
 * A baresip config folder: file in, file out, no sound card, no TTY. account.so is required (it
 * reads the accounts file); g711 is loaded before it so the account's codec list resolves.
 */
export async function writeBaresipConfig(s: BaresipSetup): Promise<void> {
  const config = [
    `module_path ${s.modulePath}`,
    `sip_listen 127.0.0.1:${s.listenPort}`,
    `audio_source aufile,${s.inputWav}`,
    'audio_player aubridge,sink',
    'audio_alert aubridge,sink',
    `ausrc_srate ${RATE_HZ}`,
    `auplay_srate ${RATE_HZ}`,
    `rtp_ports ${s.rtpPorts[0]}-${s.rtpPorts[1]}`,
    `snd_path ${s.recordDir}`,
    'module g711.so',
    'module account.so',
    'module aufile.so',
    'module aubridge.so',
    'module sndfile.so',
    'module_app menu.so',
    '',
  ].join('\n');
  await writeFile(join(s.dir, 'config'), config);
  await writeFile(join(s.dir, 'accounts'), '<sip:+15551230001@127.0.0.1>;regint=0;audio_codecs=PCMU\n');
  await writeFile(join(s.dir, 'contacts'), '');
}
