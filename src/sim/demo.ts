/**
 * `npm run demo`: one simulated phone call through the real bridge, no API key, no network.
 * Writes what the caller heard (WAV) and the call record (JSON) to ./out and prints a summary;
 * with --json the last line is one JSON object with the summary's numbers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeWav } from '../audio/wav.js';
import { runDemoCall } from './demo-call.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    out: { type: 'string', default: 'out' },
    verbose: { type: 'boolean', default: false },
  },
});

const outDir = resolve(values.out);
mkdirSync(outDir, { recursive: true });
if (!values.json) console.log('Placing a simulated call: bridge + Qwen simulator + a caller on 127.0.0.1 …');
// Quiet by default: the summary is the output; --verbose shows the bridge's own log lines.
const result = await runDemoCall({ logLevel: values.verbose ? 'info' : 'error' });
const wavPath = resolve(outDir, 'demo-call-heard.wav');
const recordPath = resolve(outDir, 'demo-call-record.json');
writeFileSync(wavPath, writeWav(8000, [result.heardPcm]));
writeFileSync(recordPath, `${JSON.stringify(result.record, null, 2)}\n`);

const s = result.summary;
if (!values.json) {
  console.log('');
  console.log('Transcript (as the caller experienced it):');
  for (const turn of result.record.turns) {
    const at = `${(turn.atMs / 1000).toFixed(1).padStart(5)} s`;
    if (turn.role === 'caller') console.log(`  ${at}  caller: ${turn.text}`);
    else if (turn.interrupted) console.log(`  ${at}  agent:  ${turn.interrupted.heardText.trim()} — [cut off after ${turn.interrupted.heardMs} ms]`);
    else console.log(`  ${at}  agent:  ${turn.text}`);
  }
  console.log('');
  console.log(`  ended:            ${s.endReason} after ${(s.durationMs / 1000).toFixed(1)} s`);
  console.log(`  first agent audio ${s.firstAudioMs ?? '-'} ms after the call started`);
  console.log(`  turn latency      ${s.turnLatenciesMs.join(', ') || '-'} ms (model end-of-speech → first agent frame)`);
  console.log(`  barge-ins:        ${s.bargeIns}; agent audio stopped at the caller ${s.bargeInCutMs ?? '-'} ms after speech_started`);
  console.log(`                    (${s.bargeInFromCallerSpeechMs ?? '-'} ms after the caller began talking, model VAD included)`);
  console.log(`  caller heard      ${(s.callerHeardMs / 1000).toFixed(1)} s of agent audio`);
  console.log(`  wrote             ${wavPath}`);
  console.log(`                    ${recordPath}`);
}
console.log(JSON.stringify(s));
