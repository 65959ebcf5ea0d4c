/**
 * `npm run probe`: run once with a key before pointing a phone number at the bridge. It opens a
 * session with the configured key, region and model, holds a short scripted conversation from
 * recorded speech, checks every frame against the client's schemas, and prints what matched,
 * what differed and the latencies. `--check` only connects (key, region, model, configuration).
 * `--simulate` runs the same against the built-in simulator (no key; for trying the probe).
 * `--json` ends with one JSON line, a field per check. Exit code 0 unless the verdict is not_ready.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { createQwenConnector } from '../ai/qwen-session.js';
import { createResamplerFactory } from '../audio/resampler-factory.js';
import { loadConfig, qwenEndpoint } from '../config/load.js';
import { createLogger } from '../log.js';
import { regionApiKey } from '../region-connectors.js';
import { loadCallerFixture } from '../sim/caller/fixtures.js';
import { formatReport } from './probe-report.js';
import { probeProfile } from './probe-profile.js';
import { runProbe } from './probe-run.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    voice: { type: 'string' },
    region: { type: 'string' },
    simulate: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'hold-ms': { type: 'string' },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`usage: npm run probe -- [--model NAME] [--voice NAME] [--region singapore|beijing] [--check] [--simulate] [--json] [--hold-ms N]
  --check      connect, read what the service kept of the configuration, close (a few seconds)
  --simulate   probe the built-in simulator instead of the service (no key needed)
  --hold-ms    silence at the end, kept open only by the keep-alive (default 40000; 0 skips)`);
  process.exit(0);
}

const config = loadConfig();
const logger = createLogger(values.verbose ? 'debug' : 'silent');
const region = values.region === 'beijing' || values.region === 'singapore' ? values.region : config.qwen.region;
const model = values.model ?? config.qwen.model;
const profile = probeProfile(model, values.voice);

let url = qwenEndpoint(config, region);
let apiKey = regionApiKey(config, region);
let keepAliveIntervalMs = config.qwen.keepAliveIntervalMs;
let holdMs = values['hold-ms'] !== undefined ? Number(values['hold-ms']) : 40_000;
let stopSimulator: (() => Promise<void>) | undefined;
if (values.simulate) {
  // Loaded only here: the simulator is not part of probing the real service.
  const { startProbeSimulator } = await import('./probe-simulator.js');
  apiKey = randomBytes(8).toString('hex');
  const sim = await startProbeSimulator(apiKey);
  url = sim.url;
  stopSimulator = () => sim.close();
  // The simulator's idle close is shortened so the hold stays short; the keep-alive follows it.
  keepAliveIntervalMs = sim.keepAliveIntervalMs;
  if (values['hold-ms'] === undefined) holdMs = sim.holdMs;
}
if (apiKey === undefined || apiKey === '') {
  console.error(`No API key for ${region}: set DASHSCOPE_API_KEY (or DASHSCOPE_API_KEY_${region.toUpperCase()}), or use --simulate.`);
  process.exit(2);
}
const key = apiKey;
const endpoint = new URL(url);
const workspaceId = region === 'singapore' && config.qwen.workspaceId ? config.qwen.workspaceId : undefined;

const toWideband = await createResamplerFactory('fir')(8000, 16_000);
const question = toWideband.process(await loadCallerFixture('order-status')).slice();
toWideband.reset();
const interruption = toWideband.process(await loadCallerFixture('opening-hours')).slice();

if (!values.json) console.log(`Probing ${model} at ${endpoint.host}${values.simulate ? ' (simulator)' : ''} …`);
const report = await runProbe({
  connect: (p, onEvent, observer) =>
    createQwenConnector({
      url,
      model,
      apiKey: key,
      ...(workspaceId ? { workspaceId } : {}),
      connectTimeoutMs: config.qwen.connectTimeoutMs,
      connectRetries: 0,
      keepAliveIntervalMs,
      responseCreatedTimeoutMs: config.qwen.responseCreatedTimeoutMs,
      logger,
      observer,
      createSocket: (u, headers) => new WebSocket(u, { headers, perMessageDeflate: false }),
    })(p, onEvent, { callId: 'probe' }),
  profile,
  target: { host: endpoint.host, simulated: values.simulate },
  mode: values.check ? 'check' : 'full',
  speech: { question, interruption },
  holdMs,
  stepTimeoutMs: 20_000,
  nowMs: () => performance.now(),
});
await stopSimulator?.();

if (!values.json) console.log(`\n${formatReport(report)}`);
console.log(JSON.stringify(report));
process.exit(report.verdict === 'not_ready' ? 1 : 0);
