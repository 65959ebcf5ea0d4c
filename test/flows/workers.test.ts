/**
 * `--workers 2` as an operator runs it: one primary, two workers sharing the HTTP/WebSocket port,
 * both members of the cluster database. Calls reach both workers; a worker that dies is replaced;
 * SIGTERM stops them all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silence } from '../../src/sim/caller/index.js';
import type { SimulatedCaller } from '../../src/sim/caller/index.js';
import { startBridgeProcess, type BridgeProcess } from '../support/bridge-process.js';
import { createTestDatabase, hasPostgres, postgresMissing } from '../support/postgres-database.js';

let bridge: BridgeProcess | undefined;
const callers: SimulatedCaller[] = [];
afterEach(async () => {
  await Promise.all(callers.splice(0).map((caller) => caller.hangup()));
  await bridge?.stop();
  bridge = undefined;
});

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Workers that joined the cluster, by pid (their instance id is host:pid). */
const listeningPids = (b: BridgeProcess): number[] =>
  b.lines.filter((line) => line.msg === 'cluster member').map((line) => Number(String(line.instanceId).split(':').pop()));

if (!hasPostgres) {
  describe.skip(`--workers (skipped: ${postgresMissing})`, () => {
    it('needs PostgreSQL', () => undefined);
  });
} else {
  describe('--workers 2', () => {
    it('shares one port between two workers, replaces a worker that dies, and stops on SIGTERM', async () => {
      // No instance id: each worker names itself host:pid.
      bridge = await startBridgeProcess('', { DATABASE_URL: await createTestDatabase() }, ['--workers', '2']);
      const b = bridge;
      const listening = () => b.lines.filter((line) => line.msg === 'bridge listening').length;
      await eventually(() => (listening() >= 2 ? true : undefined));
      const [first, second] = listeningPids(b);
      expect(first).not.toBe(second);
      // Both bound the same port (the cluster module shares it).
      const ports = new Set(b.lines.filter((line) => line.msg === 'bridge listening').map((line) => line.port));
      expect([...ports]).toEqual([b.port]);

      // Connections are handed out in turn: four calls land on both workers.
      for (let i = 0; i < 4; i++) {
        const caller = await b.caller({ from: `+1555020${i}` });
        callers.push(caller);
        void caller.run([silence(50_000)]);
      }
      const owners = await eventually(async () => {
        const res = await b.api('/admin/calls');
        const calls = (res.body as { calls: Array<{ instance: string }> }).calls;
        return calls.length === 4 ? new Set(calls.map((call) => call.instance)) : undefined;
      });
      expect(owners.size).toBe(2);

      // A worker killed outright is replaced by a new one.
      process.kill(first!, 'SIGKILL');
      await eventually(() => (listening() >= 3 ? true : undefined));
      expect(b.lines.some((line) => line.msg === 'worker died: restarting it' && line.pid === first)).toBe(true);

      await Promise.all(callers.splice(0).map((caller) => caller.hangup()));
      expect(await b.stop()).toBe(0);
      expect(b.lines.some((line) => line.msg === 'all workers stopped')).toBe(true);
    });
  });
}
