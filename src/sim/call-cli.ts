/**
 * `npm run call -- <stream url>`: place one test call into a running bridge (for example one
 * started with `npm start -- --simulate`) and print what happened.
 *
 *   npm run call -- ws://127.0.0.1:8080/media/twilio --token <media token> [--to +15550100]
 *   npm run call -- wss://bridge.example.com/media/audio-fork --token … --admin-token … --out heard.wav
 *
 * The token defaults to $BRIDGE_MEDIA_TOKEN; without one, $TWILIO_AUTH_TOKEN signs the upgrade as
 * Twilio would. With --admin-token (or $BRIDGE_ADMIN_TOKEN) the bridge's transcript of the call
 * is printed too. Exit code 0 when the agent answered the line, 1 otherwise.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeWav } from '../audio/wav.js';
import { CALLER_FIXTURES, type CallerFixture } from './caller/index.js';
import { placeTestCall } from './test-call.js';

const USAGE = `usage: npm run call -- <ws(s)://host[:port]/media/twilio|signalwire|audio-fork> [options]
  --to <number>        the dialed number (selects the agent; default +15550100)
  --from <number>      the caller's number
  --token <secret>     the bridge's media token (default $BRIDGE_MEDIA_TOKEN)
  --admin-token <t>    print the bridge's transcript via its call-records API (default $BRIDGE_ADMIN_TOKEN)
  --line <name>        what the caller says: ${Object.keys(CALLER_FIXTURES).join(', ')} (default order-status)
  --out <file.wav>     what the caller heard (default out/call-heard.wav)`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    to: { type: 'string', default: '+15550100' },
    from: { type: 'string' },
    token: { type: 'string' },
    'admin-token': { type: 'string' },
    line: { type: 'string', default: 'order-status' },
    out: { type: 'string', default: 'out/call-heard.wav' },
    help: { type: 'boolean', default: false },
  },
});

const url = positionals[0];
if (values.help || url === undefined || !/^wss?:\/\//.test(url)) {
  console.log(USAGE);
  process.exit(url === undefined || values.help ? 0 : 2);
}
if (!(values.line in CALLER_FIXTURES)) {
  console.error(`--line must be one of ${Object.keys(CALLER_FIXTURES).join(', ')}`);
  process.exit(2);
}
const token = values.token ?? process.env.BRIDGE_MEDIA_TOKEN;
const adminToken = values['admin-token'] ?? process.env.BRIDGE_ADMIN_TOKEN;
const twilioAuthToken = process.env.TWILIO_AUTH_TOKEN;

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

try {
  console.log(`Calling ${url.replace(/([?&]token=)[^&]+/, '$1REDACTED')} as ${values.to} …`);
  const result = await placeTestCall({
    url,
    to: values.to,
    ...(values.from ? { from: values.from } : {}),
    ...(token ? { token } : {}),
    ...(twilioAuthToken ? { twilioAuthToken } : {}),
    ...(adminToken ? { adminToken } : {}),
    line: values.line as CallerFixture,
  });
  const out = resolve(values.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, writeWav(8000, [result.heardPcm]));

  console.log('');
  console.log(`  caller said:      "${result.line}"`);
  console.log('  caller heard:     ' + (result.heard.length === 0 ? 'nothing' : ''));
  for (const segment of result.heard) {
    console.log(
      `    ${s(segment.startMs).padStart(7)} – ${s(segment.endMs).padStart(7)}  agent speech (${s(segment.endMs - segment.startMs)})`,
    );
  }
  console.log(`  greeting after:   ${result.greetingMs === null ? '-' : `${Math.round(result.greetingMs)} ms`}`);
  console.log(
    `  reply after:      ${result.replyMs === null ? '-' : `${result.replyMs} ms (end of the caller's line → first agent audio heard)`}`,
  );
  const report = result.report;
  const failed = report.steps.find((step) => !step.ok);
  console.log(
    `  ended:            ${report.endedBy}${report.closeReason ? ` (${report.closeCode}: ${report.closeReason})` : ''} after ${s(report.durationMs)}${failed ? `; step ${failed.step} failed: ${failed.error}` : ''}`,
  );
  if (result.bridgeRecord) {
    console.log(`  bridge says:      ${result.bridgeRecord.endReason}`);
    for (const turn of result.bridgeRecord.turns) console.log(`    ${s(turn.atMs).padStart(7)}  ${turn.role.padEnd(6)} ${turn.text}`);
  }
  console.log(`  heard audio:      ${out}`);
  process.exit(result.replyMs === null ? 1 : 0);
} catch (err) {
  console.error(`call failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
