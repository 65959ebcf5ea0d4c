/**
 * Calls from real SIP programs through a real drachtio-server into the whole bridge (Qwen
 * simulator as the model), all on 127.0.0.1: SIPp places a carrier-like PCMU call and hangs up;
 * baresip places a call, speaks, barges into the agent's answer and records what it heard.
 *
 * The programs are not part of the repository, so every test here skips, with the reason in its
 * name, when its program is missing (CI has none of them):
 *   DRACHTIO_SERVER_BIN  path to a drachtio-server binary (built from its public source)
 *   sipp                 on PATH (Debian: sip-tester)
 *   baresip              on PATH (Debian: baresip-core), modules beside it or BARESIP_MODULE_PATH
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulawEncode } from '../../src/audio/g711.js';
import { readWav, writeWav } from '../../src/audio/wav.js';
import type { CallRecord } from '../../src/call/call-record.js';
import { CALLER_FIXTURES, loadCallerFixture } from '../../src/sim/caller/index.js';
import { DEMO_SCRIPT } from '../../src/sim/demo-call.js';
import type { SimulatedSession } from '../../src/sim/qwen/session-record.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';
import {
  baresipModulePath,
  concat,
  durationMs,
  RATE_HZ,
  silence,
  sippSetupTimes,
  sippUacScenario,
  windowLevels,
  writeBaresipConfig,
} from './support/e2e/callers.js';
import { sipOptions, startDrachtioServer, type DrachtioServer } from './support/e2e/drachtio-server.js';
import { findOnPath, freeUdpPort, freeUdpPortPair, isExecutable, pollUntil, Program, stopAll } from './support/e2e/programs.js';

const drachtioBin = process.env.DRACHTIO_SERVER_BIN;
const drachtioMissing = !drachtioBin
  ? 'set DRACHTIO_SERVER_BIN to a drachtio-server binary'
  : isExecutable(drachtioBin)
    ? undefined
    : `DRACHTIO_SERVER_BIN=${drachtioBin} is not an executable file`;
const sippBin = findOnPath('sipp');
const sippMissing = sippBin ? undefined : 'no sipp on PATH (Debian package sip-tester)';
const baresipBin = findOnPath('baresip');
const baresipModules = baresipBin ? baresipModulePath(baresipBin) : undefined;
const baresipMissing = !baresipBin
  ? 'no baresip on PATH (Debian package baresip-core)'
  : baresipModules
    ? undefined
    : 'baresip modules (aufile, sndfile, ...) not found: set BARESIP_MODULE_PATH';
const skipNote = (reason: string | undefined): string => (reason ? ` [skipped: ${reason}]` : '');

// The default reporter shows a skipped file as a count only: say once, on stderr, what is missing.
const missing = drachtioMissing ? [drachtioMissing] : [sippMissing, baresipMissing].filter((reason) => reason !== undefined);
if (missing.length > 0) process.stderr.write(`e2e-real-programs: skipping real-program calls: ${missing.join('; ')}\n`);

/** What the caller dials; the support agent answers every number. */
const DIALED = '+15550100';
/**
 * RTP ports, all below the ephemeral range (from 32768) so no port-0 socket can take them, and
 * apart from the ranges of the other SIP tests (26000s) and of `npm run bench` (27000–28999),
 * which may run at the same time on a developer's machine.
 */
const BRIDGE_RTP_MIN = 29_000;
const SIPP_RTP_RANGE: [number, number] = [29_400, 29_998];
const BARESIP_RTP_RANGE: [number, number] = [30_000, 30_998];
/** A level no decoded agent speech stays under for a 20 ms window, far above PCMU silence (0). */
const LOUD_DBFS = -45;

async function agentFixtureMs(name: string): Promise<number> {
  const wav = readWav(await readFile(new URL(`../../src/sim/fixtures/${name}.wav`, import.meta.url)));
  return (wav.samples.length * 1000) / wav.sampleRateHz;
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe.skipIf(drachtioMissing !== undefined)(`calls from real SIP programs through drachtio-server${skipNote(drachtioMissing)}`, () => {
  let drachtio: DrachtioServer | undefined;
  let bridge: Bridge | undefined;
  const scratch: string[] = [];

  const scratchDir = async (prefix: string): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    scratch.push(dir);
    return dir;
  };

  /** The record and simulator session of the next call, whatever ran before it. */
  const nextCall = (b: Bridge): { record: (timeoutMs: number) => Promise<CallRecord>; session: () => SimulatedSession | undefined } => {
    const calls = b.records.length;
    const sessions = b.sim.sessions.length;
    return {
      record: (timeoutMs) => within(b.ended(calls + 1), timeoutMs, 'the call record'),
      session: () => b.sim.sessions[sessions],
    };
  };

  beforeAll(async () => {
    drachtio = await startDrachtioServer(drachtioBin!);
    bridge = await startBridge({
      // The demo script's caller turns are the caller fixtures' words.
      sim: { script: DEMO_SCRIPT },
      env: {
        SIP_ENABLED: 'true',
        DRACHTIO_HOST: '127.0.0.1',
        DRACHTIO_PORT: String(drachtio.adminPort),
        DRACHTIO_SECRET: drachtio.secret,
        RTP_ADVERTISED_ADDRESS: '127.0.0.1',
      },
      configure: (config) => {
        config.sip.allowFrom = ['127.0.0.1'];
        config.sip.rtp = { ...config.sip.rtp, bindAddress: '127.0.0.1', portMin: BRIDGE_RTP_MIN, portMax: BRIDGE_RTP_MIN + 199 };
      },
    });
    const server = drachtio;
    await within(bridge.app.sip!.link.connected, 10_000, "the bridge's connection to drachtio-server").catch((err: Error) => {
      throw new Error(`${err.message}\n${server.program.tail()}`);
    });
    // drachtio-server opens its admin port before its SIP transport, and answers 503 to OPTIONS
    // until an app routes them: a 200 says SIP is up and the bridge is the app behind it.
    const sipPort = drachtio.sipPort;
    await pollUntil(async () => (await sipOptions(sipPort)) === 200, 'a 200 to OPTIONS through drachtio-server', 10_000, 100);
  }, 30_000);

  afterAll(async () => {
    // Bridge first, while drachtio-server can still carry its BYEs to any caller a failed test
    // left connected; then the server; then whatever program is still running.
    try {
      await bridge?.close();
      await drachtio?.stop();
    } finally {
      await stopAll();
      await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
    }
  });

  it.skipIf(sippMissing !== undefined)(
    `SIPp: a PCMU call is answered, the caller's speech reaches the model, the greeting goes out as RTP, BYE ends it${skipNote(sippMissing)}`,
    async ({ annotate }) => {
      const dir = await scratchDir('sipp-e2e-');
      const speech = await loadCallerFixture('order-status');
      // Quiet first so the caller does not talk over the greeting (that would be a barge-in),
      // quiet after so the model's VAD sees the end of the turn before the BYE.
      const track = concat([silence(2500), speech, silence(1500)]);
      const ulawPath = join(dir, 'caller.ulaw');
      await writeFile(ulawPath, mulawEncode(track));
      const scenarioPath = join(dir, 'uac.xml');
      await writeFile(scenarioPath, sippUacScenario({ ulawPath, holdMs: Math.round(durationMs(track)) + 300 }));
      const messageLog = join(dir, 'messages.log');
      const errorLog = join(dir, 'errors.log');

      const call = nextCall(bridge!);
      const sipp = new Program(
        'sipp',
        sippBin!,
        [
          '-sf', scenarioPath, '-s', DIALED, `127.0.0.1:${drachtio!.sipPort}`,
          '-i', '127.0.0.1', '-p', String(await freeUdpPort()),
          '-mi', '127.0.0.1', '-mp', String(await freeUdpPortPair(...SIPP_RTP_RANGE)),
          '-m', '1', '-nostdin',
          '-trace_msg', '-message_file', messageLog, '-trace_err', '-error_file', errorLog,
          // Its own deadline, so a call that never ends makes sipp fail rather than hang.
          '-timeout', '20s', '-timeout_error',
        ],
        { cwd: dir },
      );
      const exit = await sipp.waitForExit(25_000);
      const errors = await readFile(errorLog, 'utf8').catch(() => '');
      expect(exit.code, `${sipp.tail()}\n${errors}\n${drachtio!.program.tail(20)}`).toBe(0);

      // INVITE → 200 on the wire, as sipp saw it. The bridge answers without waiting for the
      // model, so on loopback this is a few milliseconds.
      const setup = sippSetupTimes(await readFile(messageLog, 'utf8'));
      expect(setup, 'INVITE and its 200 in the sipp message log').toBeDefined();
      const setupMs = setup!.okAt - setup!.inviteAt;
      expect(setupMs).toBeLessThan(1_000);

      // sipp got its 200 to BYE, so the bridge has had the BYE: the record follows at once.
      const record = await call.record(3_000);
      expect(record.endReason).toBe('caller_hangup');
      expect(record.endDetail).toBe('caller sent BYE');
      expect(record.identity.transport).toBe('rtp');
      // The SIP Call-ID is the call's external id (sipp builds it as <n>-<pid>@<ip>).
      expect(record.identity.externalId).toMatch(/^\S+@127\.0\.0\.1$/);
      expect(record.identity.attributes?.codec).toBe('PCMU');

      // The caller's RTP reached the model: about as many frames as sipp streamed, one committed
      // turn about as long as the utterance, transcribed as the caller's turn.
      const streamedFrames = Math.floor(durationMs(track) / 20);
      expect(record.stats.uplinkFrames).toBeGreaterThan(0.9 * streamedFrames);
      const session = call.session();
      expect(session?.userItems).toHaveLength(1);
      const speechMs = durationMs(speech);
      expect(session!.userItems[0]!.audioMs).toBeGreaterThan(speechMs - 800);
      expect(session!.userItems[0]!.audioMs).toBeLessThan(speechMs + 1_500);
      const callerTurns = record.turns.filter((turn) => turn.role === 'caller').map((turn) => turn.text);
      expect(callerTurns).toEqual([CALLER_FIXTURES['order-status']]);

      // The greeting went out whole as RTP frames (20 ms each), before the caller spoke.
      const greetingMs = await agentFixtureMs('agent-greeting');
      expect(record.stats.downlinkFramesSent).toBeGreaterThanOrEqual(Math.floor(greetingMs / 20) - 2);
      expect(record.stats.firstAudioMs).toBeLessThan(2_000);

      await annotate(
        `setup ${setupMs} ms (INVITE→200); first agent audio ${record.stats.firstAudioMs} ms; ` +
          `uplink ${record.stats.uplinkFrames} frames, downlink ${record.stats.downlinkFramesSent} frames; ` +
          `committed turn ${session!.userItems[0]!.audioMs} ms; call ${record.durationMs} ms`,
      );
    },
    35_000,
  );

  it.skipIf(baresipMissing !== undefined)(
    `baresip: the caller hears the agent, barges into its answer and the answer stops, then hangs up${skipNote(baresipMissing)}`,
    async ({ annotate }) => {
      const dir = await scratchDir('baresip-e2e-');
      const recordDir = join(dir, 'recorded');
      await mkdir(recordDir);
      const orderStatus = await loadCallerFixture('order-status');
      const openingHours = await loadCallerFixture('opening-hours');
      // The caller's side, in call time (the agent's timings are the simulator's: VAD end of turn
      // 700 ms after speech, first audio 200 ms later):
      //   0–2.5 s greeting plays · 2.5–5.6 s order question · ~6.5 s the 6.3 s answer starts ·
      //   8.6 s the caller cuts in with the opening-hours question (~2 s of the answer heard) ·
      //   ~12.6 s the short answer · silence, then the file ends and baresip hangs up (~15.2 s).
      const bargeAtMs = 8_600;
      const firstPart = concat([silence(2500), orderStatus]);
      const track = concat([firstPart, silence(bargeAtMs - durationMs(firstPart)), openingHours, silence(3500)]);
      const inputWav = join(dir, 'caller.wav');
      await writeFile(inputWav, writeWav(RATE_HZ, [track]));
      const confDir = join(dir, 'conf');
      await mkdir(confDir);
      await writeBaresipConfig({
        dir: confDir,
        modulePath: baresipModules!,
        listenPort: await freeUdpPort(),
        inputWav,
        recordDir,
        rtpPorts: BARESIP_RTP_RANGE,
      });

      const call = nextCall(bridge!);
      const trackMs = durationMs(track);
      const baresip = new Program(
        'baresip',
        baresipBin!,
        // -t: baresip's own deadline, a few seconds past the file, should the hang-up not happen.
        ['-n', '127.0.0.1', '-f', confDir, '-e', `/dial sip:${DIALED}@127.0.0.1:${drachtio!.sipPort}`, '-t', String(Math.ceil(trackMs / 1000) + 4)],
        { cwd: dir },
      );
      let record: CallRecord;
      try {
        // The call lasts as long as the file: wait for the bridge to record its end.
        record = await call.record(trackMs + 5_000);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${baresip.tail()}\n${drachtio!.program.tail(20)}`);
      }
      // The call is over; baresip would idle until -t. Its recorder closed with the call.
      await baresip.stop();
      expect(baresip.output).toMatch(/Call established/);
      // baresip hangs up with BYE when its input file ends, well before its -t deadline.
      expect(record.endReason).toBe('caller_hangup');
      expect(record.endDetail).toBe('caller sent BYE');
      expect(record.durationMs).toBeLessThan(trackMs + 2_000);
      expect(record.identity.attributes?.codec).toBe('PCMU');

      // The barge-in, as the bridge saw it: one, into the order-status answer, after some of it.
      const answerMs = await agentFixtureMs('agent-order-status');
      expect(record.bargeIns).toHaveLength(1);
      const barge = record.bargeIns[0]!;
      expect(barge.heardMs).toBeGreaterThan(500);
      // Enough of the answer was left that the caller would still be hearing it below.
      expect(barge.heardMs).toBeLessThan(answerMs - 2_500);
      const agentTurns = record.turns.filter((turn) => turn.role === 'agent');
      expect(agentTurns.map((turn) => turn.interrupted !== undefined)).toEqual([false, true, false]);
      expect(record.turns.filter((turn) => turn.role === 'caller').map((turn) => turn.text)).toEqual([
        CALLER_FIXTURES['order-status'],
        CALLER_FIXTURES['opening-hours'],
      ]);

      // What the caller heard, from baresip's decoder recording.
      const decoded = (await readdir(recordDir)).filter((name) => name.endsWith('-dec.wav'));
      expect(decoded, `recorded files in ${recordDir}`).toHaveLength(1);
      const heard = readWav(await readFile(join(recordDir, decoded[0]!)));
      expect(heard.sampleRateHz).toBe(RATE_HZ);
      const levels = windowLevels(heard.samples, 20);
      const loudMs = (fromMs: number, toMs: number): number =>
        20 * levels.slice(Math.max(0, Math.floor(fromMs / 20)), Math.floor(toMs / 20)).filter((db) => db > LOUD_DBFS).length;
      const totalHeardMs = loudMs(0, durationMs(heard.samples));
      expect(totalHeardMs, 'agent speech heard in total').toBeGreaterThan(2_000);
      // The recording starts with the call's media, the bridge's clock with the INVITE: line the
      // two up on the greeting's first sound, which the bridge timed as firstAudioMs.
      const firstLoud = levels.findIndex((db) => db > LOUD_DBFS);
      expect(firstLoud).toBeGreaterThanOrEqual(0);
      const offsetMs = firstLoud * 20 - record.stats.firstAudioMs!;
      expect(Math.abs(offsetMs)).toBeLessThan(1_000);
      const cutAt = barge.atMs + offsetMs;
      // Before the cut the caller heard the answer; for 1.6 s after it (past the playout lead
      // and baresip's jitter buffer), nothing, where the uncut answer would still be playing;
      // later the short answer to the second question.
      const beforeCutMs = loudMs(cutAt - 1_000, cutAt);
      const afterCutMs = loudMs(cutAt + 400, cutAt + 2_000);
      const laterMs = loudMs(cutAt + 2_000, durationMs(heard.samples));
      expect(beforeCutMs, 'answer heard in the second before the barge-in').toBeGreaterThan(300);
      expect(afterCutMs, 'answer heard 0.4–2 s after the barge-in').toBe(0);
      expect(laterMs, 'second answer heard').toBeGreaterThan(1_000);

      await annotate(
        `heard ${totalHeardMs} ms of agent speech in ${Math.round(durationMs(heard.samples))} ms recorded; ` +
          `barge-in at ${barge.atMs} ms after ${barge.heardMs} ms of the answer (${barge.droppedFrames} frames dropped); ` +
          `heard before/after the cut ${beforeCutMs}/${afterCutMs} ms; recording offset ${offsetMs} ms; call ${record.durationMs} ms`,
      );
    },
    40_000,
  );
});
