/**
 * The real bridge (buildApp) with SIP on, for `npm run bench:sip`, on 127.0.0.1: connected to the
 * drachtio-server simulator and talking to the Qwen simulator, both in this process.
 *
 * The drachtio simulator (src/sim/drachtio: a faithful model of drachtio-server's wire protocol
 * that the real drachtio-srf talks to) stands in for a drachtio-server: CI has none to benchmark
 * against.
 */
import { randomBytes } from 'node:crypto';
import { buildApp, qwenConnector, type App } from '../app.js';
import type { AiConnector } from '../call/ai-session.js';
import type { CallRecord } from '../call/call-record.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { startQwenSimulator, type QwenSimulator } from '../sim/qwen/server.js';
import { DrachtioServerSim } from '../sim/drachtio/drachtio-server-sim.js';

export interface SipBridge {
  app: App;
  drachtio: DrachtioServerSim;
  model: QwenSimulator;
  /** Calls that have ended, in order. */
  ended: CallRecord[];
  /**
   * When the bridge handled each model speech_started, by calling number: epoch ms (timeOrigin +
   * now), taken in the call's own event handler just before it runs, so a barge-in's clear
   * follows within microseconds.
   */
  speechStartedAtMs: Map<string, number[]>;
  close(): Promise<void>;
}

/**
 * Below 32768, where Linux hands out ephemeral ports, so no other socket on the machine (nor the
 * peers' port-0 sockets) can hold one; 1,000 pairs, ten times the concurrent calls.
 */
const RTP_PORT_MIN = 27_000;
const RTP_PORT_MAX = 28_999;
/**
 * Longer than any phase. The silence and media-inactivity limits are for abandoned calls; a run
 * with caller audio off sends none, and those limits must not end calls mid-measurement.
 */
const BENCH_CALL_LIMIT_MS = 300_000;

export async function startSipBridge(opts: { maxCalls: number; sendThread: 'worker' | 'main' }): Promise<SipBridge> {
  const drachtio = await DrachtioServerSim.start();
  const apiKey = randomBytes(16).toString('hex');
  const model = await startQwenSimulator({ apiKey });
  // An explicit environment: the operator's BRIDGE_CONFIG, QWEN_* or SIP variables must not change the bench.
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    QWEN_URL: model.url,
    MAX_CONCURRENT_CALLS: String(opts.maxCalls),
    // Call records stay in memory: a benchmark writes no files.
    RECORDS_DB_PATH: ':memory:',
    SIP_ENABLED: 'true',
    DRACHTIO_HOST: drachtio.host,
    DRACHTIO_PORT: String(drachtio.port),
  });
  config.sip.rtp = {
    bindAddress: '127.0.0.1',
    advertisedAddress: '127.0.0.1',
    portMin: RTP_PORT_MIN,
    portMax: RTP_PORT_MAX,
    idleAudio: 'silence',
    sendThread: opts.sendThread,
  };
  // The simulator's "network" sends from 198.51.100.7; a list (rather than none) also times the check.
  config.sip.allowFrom = ['127.0.0.0/8', '198.51.100.0/24'];
  config.calls.mediaTimeoutMs = BENCH_CALL_LIMIT_MS;
  config.calls.callerSilenceMs = BENCH_CALL_LIMIT_MS;
  // The drachtio simulator's default secret.
  config.secrets = { dashscopeApiKey: apiKey, mediaToken: randomBytes(16).toString('hex'), drachtioSecret: 'cymru' };
  // Warnings go to stderr: stdout ends with the benchmark's JSON line.
  const logger = createLogger(config.log.level, process.stderr);
  const speechStartedAtMs = new Map<string, number[]>();
  const callerOf = new Map<string, string>();
  const connect = qwenConnector(config, logger)!;
  // The real connector, with the moment each speech_started reaches its call noted on the way.
  const observed: AiConnector = (profile, onEvent, connectOpts) =>
    connect(
      profile,
      (event) => {
        const from = callerOf.get(connectOpts.callId);
        if (event.type === 'speech_started' && from !== undefined) {
          const times = speechStartedAtMs.get(from) ?? [];
          times.push(performance.timeOrigin + performance.now());
          speechStartedAtMs.set(from, times);
        }
        onEvent(event);
      },
      connectOpts,
    );
  const app = buildApp(config, logger, { connectAi: observed });
  const ended: CallRecord[] = [];
  app.onCallEnded((record) => ended.push(record));
  // Admission names the call before its model session is opened.
  app.calls.on('started', (call) => callerOf.set(call.id, call.identity.from ?? ''));
  try {
    await app.start();
    await app.sip!.link.connected;
    await drachtio.waitForRoute('invite', 1);
  } catch (err) {
    await app.close();
    await Promise.all([model.close(), drachtio.close()]);
    throw err;
  }
  return {
    app,
    drachtio,
    model,
    ended,
    speechStartedAtMs,
    async close() {
      await app.close();
      await Promise.all([model.close(), drachtio.close()]);
    },
  };
}
