/**
 * The live probe against the simulator's live-like mode: it must pass where the service behaves
 * as expected, fail on what would break a call, and print a report whose JSON form has a field
 * per check.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pino from 'pino';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createQwenConnector } from '../../src/ai/qwen-session.js';
import { createResamplerFactory } from '../../src/audio/resampler-factory.js';
import { loadCallerFixture } from '../../src/sim/caller/fixtures.js';
import { startQwenSimulator, type QwenSimulator } from '../../src/sim/qwen/server.js';
import { CHECK_NAMES, formatReport } from '../../src/probe/probe-report.js';
import { probeProfile } from '../../src/probe/probe-profile.js';
import { runProbe, type ProbeOptions } from '../../src/probe/probe-run.js';
import { startProbeSimulator, type ProbeSimulator } from '../../src/probe/probe-simulator.js';

let sim: { close(): Promise<void> } | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function speech(): Promise<ProbeOptions['speech']> {
  const up = await createResamplerFactory('fir')(8000, 16_000);
  const question = up.process(await loadCallerFixture('order-status')).slice();
  up.reset();
  return { question, interruption: up.process(await loadCallerFixture('opening-hours')).slice() };
}

function options(target: ProbeSimulator | QwenSimulator, apiKey: string, over: Partial<ProbeOptions> = {}, keepAliveIntervalMs = 1_000): Promise<ProbeOptions> {
  return speech().then((s) => ({
    connect: (profile, onEvent, observer) =>
      createQwenConnector({
        url: target.url,
        model: profile.model,
        apiKey,
        connectRetries: 0,
        keepAliveIntervalMs,
        logger: pino({ level: 'silent' }),
        observer,
        createSocket: (url, headers) => new WebSocket(url, { headers }),
      })(profile, onEvent, { callId: 'probe' }),
    profile: probeProfile('qwen3.5-omni-flash-realtime'),
    target: { host: new URL(target.url).host, simulated: true },
    mode: 'full',
    speech: s,
    holdMs: 0,
    stepTimeoutMs: 10_000,
    nowMs: () => performance.now(),
    ...over,
  }));
}

describe('the live probe', () => {
  it('passes every check against the live-like simulator, keep-alive included', async () => {
    const probeSim = await startProbeSimulator('k');
    sim = probeSim;
    const report = await runProbe(await options(probeSim, 'k', { holdMs: probeSim.holdMs }, probeSim.keepAliveIntervalMs));

    expect(Object.keys(report.checks)).toEqual([...CHECK_NAMES]);
    for (const name of CHECK_NAMES) expect({ name, ...report.checks[name] }).toMatchObject({ name, status: 'pass' });
    expect(report.verdict).toBe('ready');
    expect(report.observations.bargeInStatus).toBe('cancelled (cancelled: turn_detected)');
    expect(report.latenciesMs.connect).toBeGreaterThan(0);
    expect(report.latenciesMs.firstAudio).toBeGreaterThan(0);
    expect(report.latenciesMs.turn).toBeGreaterThan(0);
    const text = formatReport(report);
    expect(text).toContain('SIMULATOR, not the real service');
    expect(text).toMatch(/ok {5} {2}greeting/);
    expect(text).toContain('READY: the service behaved the way the bridge expects.');
  }, 60_000);

  it('fails the greeting, and the verdict, for a voice the model cannot speak', async () => {
    const plain = await startQwenSimulator({ apiKey: 'k' });
    sim = plain;
    const report = await runProbe(await options(plain, 'k', { profile: probeProfile('qwen3.5-omni-flash-realtime', 'Cherry') }));
    expect(report.checks.greeting).toMatchObject({ status: 'fail' });
    expect(report.checks.greeting.detail).toContain("Voice 'Cherry' is not supported");
    expect(report.observations.errorFields).toContain('{ type: string, code: number, message: string, param: null, status: number }');
    expect(report.verdict).toBe('not_ready');
    expect(formatReport(report)).toContain('NOT READY');
  });

  it('fails at connect for a refused key, and says so without going further', async () => {
    const plain = await startQwenSimulator({ apiKey: 'right' });
    sim = plain;
    const report = await runProbe(await options(plain, 'wrong'));
    expect(report.checks.connect.status).toBe('fail');
    expect(report.checks.connect.detail).toMatch(/^auth: /);
    expect(report.checks.greeting.status).toBe('skipped');
    expect(report.verdict).toBe('not_ready');
  });

  it('--check only connects and reads what the service kept', async () => {
    const plain = await startQwenSimulator({ apiKey: 'k' });
    sim = plain;
    const report = await runProbe(await options(plain, 'k', { mode: 'check', profile: { ...probeProfile('qwen3-omni-flash-realtime'), tools: probeProfile('qwen3.5-omni-flash-realtime').tools } }));
    expect(report.checks.connect.status).toBe('pass');
    expect(report.checks.session_echo).toEqual({ status: 'differs', detail: 'tools dropped by the service: lookup_order' });
    expect(report.checks.greeting.status).toBe('skipped');
    expect(report.verdict).toBe('ready_with_differences');
    expect(plain.sessions[0]!.responses).toEqual([]);
  });

  it('npm run probe -- --simulate --json ends with one JSON line, a field per check', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/probe/probe.ts', '--simulate', '--json', '--hold-ms', '0'], {
      cwd: new URL('../..', import.meta.url),
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as { verdict: string; checks: Record<string, { status: string }> };
    expect(last.verdict).toBe('ready');
    expect(Object.keys(last.checks)).toEqual([...CHECK_NAMES]);
    expect(last.checks.keep_alive).toMatchObject({ status: 'skipped' }); // --hold-ms 0; the test above holds
  }, 60_000);
});
