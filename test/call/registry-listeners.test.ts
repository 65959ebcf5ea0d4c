/**
 * What the registry's listeners (metrics, the record writer, an embedding app) cannot do to a
 * call: a listener that throws or rejects is logged, the other listeners still hear the event,
 * the call still ends once with one record, and nothing reaches the process as an uncaught error.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallRecord } from '../../src/call/call-record.js';
import { CallRegistry } from '../../src/call/registry.js';
import { TEST_IDENTITY, TEST_SETTINGS, testProfile } from '../support/call-harness.js';
import { FakeAiConnector } from '../support/fake-ai.js';
import { FakeLeg } from '../support/fake-leg.js';
import { simpleResamplerFactory } from '../support/simple-resampler.js';

/** A registry whose log lines (JSON objects) are kept in `logged`. */
function registryWithLog(): { registry: CallRegistry; logged: Array<Record<string, unknown>> } {
  const logged: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  let n = 0;
  const registry = new CallRegistry({
    resolveAgent: () => ({
      profile: testProfile(),
      openTools: () => ({ run: () => Promise.resolve({ output: '{}', then: { action: 'none' } }) }),
    }),
    maxConcurrentCalls: 10,
    settings: TEST_SETTINGS,
    connectAi: new FakeAiConnector().connect,
    createResampler: simpleResamplerFactory,
    logger: pino({ level: 'info' }, sink),
    newCallId: () => `call-${++n}`,
  });
  return { registry, logged };
}

const failures = (logged: Array<Record<string, unknown>>) =>
  logged.filter((line) => line.msg === 'call registry listener failed').map((line) => line.event);

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeEach(() => {
  vi.useFakeTimers();
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  vi.useRealTimers();
});

describe('registry listeners that fail', () => {
  it('an ended listener that throws: logged, the next listener still gets the record, the call ends once', async () => {
    const { registry, logged } = registryWithLog();
    const heard: CallRecord[] = [];
    registry.on('ended', () => {
      throw new Error('listener bug');
    });
    registry.on('ended', (record) => heard.push(record));
    const leg = new FakeLeg();
    expect((await registry.admit(TEST_IDENTITY, leg)).accepted).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    const call = registry.list()[0]!;
    expect(call.state).toBe('active');

    await call.hangup('caller_hangup');
    await call.hangup('caller_hangup');
    await registry.whenIdle();

    expect(heard.map((r) => [r.callId, r.endReason])).toEqual([['call-1', 'caller_hangup']]);
    expect(failures(logged)).toEqual(['ended']);
    expect(leg.closeCount).toBe(1);
    expect(registry.size).toBe(0);
  });

  it('an ended listener that rejects: logged, never an unhandled rejection', async () => {
    const { registry, logged } = registryWithLog();
    registry.on('ended', () => Promise.reject(new Error('async listener bug')) as unknown as void);
    expect((await registry.admit(TEST_IDENTITY, new FakeLeg())).accepted).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    await registry.list()[0]!.hangup('agent_hangup');
    // Node reports unhandled rejections once the microtask queue drains, before the next
    // setImmediate callback: one real turn of the loop is when it would have been reported.
    vi.useRealTimers();
    await new Promise<void>((resolve) => setImmediate(resolve));

    expect(failures(logged)).toEqual(['ended']);
    expect(unhandled).toEqual([]);
  });

  it('a started or rejected listener that throws does not stop admission', async () => {
    const { registry, logged } = registryWithLog();
    registry.on('started', () => {
      throw new Error('started listener bug');
    });
    registry.on('rejected', () => {
      throw new Error('rejected listener bug');
    });
    expect((await registry.admit(TEST_IDENTITY, new FakeLeg())).accepted).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(registry.list().map((c) => c.state)).toEqual(['active']);
    registry.drain();
    expect(registry.admit({ ...TEST_IDENTITY, externalId: 'CA2' }, new FakeLeg())).toEqual({ accepted: false, reason: 'draining' });
    expect(failures(logged)).toEqual(['started', 'rejected']);
  });

  it('a once-listener is called once, as with emit', async () => {
    const { registry } = registryWithLog();
    const seen: string[] = [];
    registry.once('ended', (record) => seen.push(record.callId));
    for (const externalId of ['CA1', 'CA2']) {
      expect((await registry.admit({ ...TEST_IDENTITY, externalId }, new FakeLeg())).accepted).toBe(true);
    }
    await vi.advanceTimersByTimeAsync(0);
    await registry.hangupAll('shutdown');
    expect(seen).toEqual(['call-1']);
  });
});
