/**
 * Two bridge processes sharing one PostgreSQL database: each its own process (main.ts
 * --simulate), real sockets, a simulated caller per call. What one process is asked about or told
 * to do (list, hang up, drain, the model quota) must hold for the other's calls too.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silence } from '../../src/sim/caller/index.js';
import type { CallerReport, SimulatedCaller } from '../../src/sim/caller/index.js';
import { startBridgeProcess, type BridgeProcess } from '../support/bridge-process.js';
import { createTestDatabase, hasPostgres, postgresMissing } from '../support/postgres-database.js';

interface LiveCallView {
  callId: string;
  instance: string;
  from: string | null;
}

let bridges: BridgeProcess[] = [];
let callers: SimulatedCaller[] = [];
afterEach(async () => {
  await Promise.all(callers.map((caller) => caller.hangup()));
  callers = [];
  await Promise.all(bridges.map((bridge) => bridge.stop()));
  bridges = [];
});

/** Polls until the probe answers; the test's own timeout is the only limit. */
async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function liveCalls(bridge: BridgeProcess): Promise<LiveCallView[]> {
  const res = await bridge.api('/admin/calls');
  expect(res.status).toBe(200);
  return (res.body as { calls: LiveCallView[] }).calls;
}

/** Two processes on one fresh database; `config` is YAML both read (BRIDGE_CONFIG). */
async function twoBridges(env: Record<string, string> = {}, config = ''): Promise<[BridgeProcess, BridgeProcess]> {
  const url = await createTestDatabase();
  const override = join(mkdtempSync(join(tmpdir(), 'qpb-cluster-')), 'override.yaml');
  writeFileSync(override, config);
  const common = { DATABASE_URL: url, BRIDGE_CONFIG: override, ...env };
  // Started together: both run the migrations at once (the advisory lock lets one do it).
  const pair = await Promise.all([startBridgeProcess('bridge-a', common), startBridgeProcess('bridge-b', common)]);
  bridges.push(...pair);
  return pair;
}

/** A caller that stays on the line (silence) until the bridge or the test ends the call. */
async function holdCall(
  bridge: BridgeProcess,
  from: string,
): Promise<{ caller: SimulatedCaller; done: ReturnType<SimulatedCaller['run']> }> {
  const caller = await bridge.caller({ from });
  callers.push(caller);
  return { caller, done: caller.run([silence(50_000)]) };
}

function metricValue(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

if (!hasPostgres) {
  describe.skip(`a cluster of bridge processes (skipped: ${postgresMissing})`, () => {
    it('needs PostgreSQL', () => undefined);
  });
} else {
  describe('a cluster of two bridge processes on one PostgreSQL database', () => {
    it('lists a call on each from either process, routes a hang-up to the other, and shares the records', async () => {
      const [a, b] = await twoBridges();
      await holdCall(a, '+15550001');
      const onB = await holdCall(b, '+15550002');

      const seenFromA = await eventually(async () => {
        const calls = await liveCalls(a);
        return calls.length === 2 ? calls : undefined;
      });
      expect(seenFromA.map((call) => [call.from, call.instance]).sort()).toEqual([
        ['+15550001', 'bridge-a'],
        ['+15550002', 'bridge-b'],
      ]);
      const seenFromB = await liveCalls(b);
      expect(seenFromB.map((call) => call.callId).sort()).toEqual(seenFromA.map((call) => call.callId).sort());

      // A hang-up sent to A for B's call reaches B (LISTEN/NOTIFY), which ends it.
      const bCall = seenFromA.find((call) => call.instance === 'bridge-b')!;
      const hangup = await a.api(`/admin/calls/${bCall.callId}/hangup`, 'POST');
      expect(hangup).toEqual({ status: 202, body: { callId: bCall.callId, endReason: 'admin_hangup', instance: 'bridge-b' } });
      const report = await onB.done;
      expect(report.endedBy).toBe('bridge');

      // B wrote the record to the shared store: A serves it.
      const record = await eventually(async () => {
        const res = await a.api(`/calls/${bCall.callId}`);
        return res.status === 200 ? (res.body as { endReason: string; identity: { from: string } }) : undefined;
      });
      expect(record.endReason).toBe('admin_hangup');
      expect(record.identity.from).toBe('+15550002');
      expect((await liveCalls(a)).map((call) => call.instance)).toEqual(['bridge-a']);
      expect((await a.api('/admin/calls/no-such-call/hangup', 'POST')).status).toBe(404);
    });

    it('holds the model quota under a burst of admissions to both processes, counts the refusals, and frees seats as calls end', async () => {
      const QUOTA = 3;
      const [a, b] = await twoBridges({ QWEN_MAX_CONCURRENT_SESSIONS: String(QUOTA) });
      // Ten callers at once, five to each process.
      const attempts = await Promise.all(Array.from({ length: 10 }, (_, i) => holdCall(i % 2 === 0 ? a : b, `+1555010${i}`)));
      const settled: Array<CallerReport | undefined> = attempts.map(() => undefined);
      attempts.forEach((attempt, i) => void attempt.done.then((report) => (settled[i] = report)));
      // Every attempt either listed (admitted) or closed (refused): none still waiting for a seat.
      const refused = await eventually(async () => {
        const listed = (await liveCalls(a)).length;
        const closed = settled.filter((report) => report !== undefined);
        return listed + closed.length === attempts.length ? closed : undefined;
      });
      expect(refused).toHaveLength(10 - QUOTA);
      for (const report of refused) {
        expect(report).toMatchObject({ endedBy: 'bridge', closeCode: 4429, closeReason: 'model_quota' });
      }
      expect(await liveCalls(b)).toHaveLength(QUOTA);
      const counted = await Promise.all(
        [a, b].map(async (bridge) =>
          metricValue(
            await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text(),
            'bridge_calls_rejected_total',
            'reason="model_quota"',
          ),
        ),
      );
      expect(counted[0]! + counted[1]!).toBe(10 - QUOTA);

      // One call ends: its seat is free for the next caller, on either process.
      const holder = attempts.find((_, i) => settled[i] === undefined)!;
      await holder.caller.hangup();
      await eventually(async () => ((await liveCalls(a)).length === QUOTA - 1 ? true : undefined));
      const next = await holdCall(b, '+15550200');
      await eventually(async () => ((await liveCalls(a)).length === QUOTA ? true : undefined));
      expect(next.caller.report().closeCode).toBeUndefined();
    });

    it("expires a killed process's calls when its lease runs out, and gives their seats back", async () => {
      const [a, b] = await twoBridges({ QWEN_MAX_CONCURRENT_SESSIONS: '1' }, 'cluster:\n  leaseMs: 3000\n');
      await holdCall(b, '+15550300');
      await eventually(async () => ((await liveCalls(a)).length === 1 ? true : undefined));
      // The quota is full: A refuses.
      const refused = await holdCall(a, '+15550301');
      expect(await refused.done).toMatchObject({ closeCode: 4429 });

      b.child.kill('SIGKILL');
      await b.exited;
      // Nobody can know at once that B died: its call leaves the list when its lease runs out.
      await eventually(async () => ((await liveCalls(a)).length === 0 ? true : undefined));

      // Its seat came back with it.
      const next = await holdCall(a, '+15550302');
      await eventually(async () => ((await liveCalls(a)).length === 1 ? true : undefined));
      expect((await liveCalls(a))[0]).toMatchObject({ instance: 'bridge-a', from: '+15550302' });
      expect(next.caller.report().closeCode).toBeUndefined();
    });

    it('drains one named process or all of them from any process', async () => {
      const [a, b] = await twoBridges();
      expect((await a.api('/admin/drain?instance=nobody', 'POST')).status).toBe(404);
      const one = await a.api('/admin/drain?instance=bridge-b', 'POST');
      expect(one).toMatchObject({ status: 200, body: { instances: ['bridge-b'] } });
      await eventually(async () => ((await fetch(`http://127.0.0.1:${b.port}/readyz`)).status === 503 ? true : undefined));
      expect((await fetch(`http://127.0.0.1:${a.port}/readyz`)).status).toBe(200);

      const all = await b.api('/admin/drain?instance=all', 'POST');
      expect(all.status).toBe(200);
      expect((all.body as { instances: string[] }).instances.sort()).toEqual(['bridge-a', 'bridge-b']);
      await eventually(async () => ((await fetch(`http://127.0.0.1:${a.port}/readyz`)).status === 503 ? true : undefined));
    });
  });
}
