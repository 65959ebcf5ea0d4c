/**
 * What every call-records store answers the same way (SQLite and PostgreSQL): filters, order,
 * cursors, retention deletes, replayed writes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CallStore } from '../../src/call/call-store.js';
import { sampleRecord } from './sample-record.js';

export function callStoreContract(name: string, open: () => CallStore | Promise<CallStore>): void {
  describe(`the ${name} call store`, () => {
    let store: CallStore | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    it('filters by time, number, agent, end reason and external id, newest first', async () => {
      store = await open();
      const a = sampleRecord({ startedAt: 1000, from: '+1111', to: '+2000', agentId: 'sales' });
      const b = sampleRecord({ startedAt: 2000, from: '+1111', to: '+3000', endReason: 'agent_hangup' });
      const c = sampleRecord({ startedAt: 3000, from: '+4444', to: '+1111', agentId: 'sales', endReason: 'agent_hangup' });
      const d = sampleRecord({ startedAt: 4000, from: '+5555', to: '+2000' });
      await store.put([a, b, c, d]);
      const ids = async (query: Parameters<CallStore['query']>[0]) => (await store!.query(query)).calls.map((call) => call.callId);

      expect(await ids({ limit: 10 })).toEqual([d.callId, c.callId, b.callId, a.callId]);
      expect(await ids({ limit: 10, since: 2000, until: 4000 })).toEqual([c.callId, b.callId]);
      expect(await ids({ limit: 10, number: '+1111' })).toEqual([c.callId, b.callId, a.callId]);
      expect(await ids({ limit: 10, agentId: 'sales' })).toEqual([c.callId, a.callId]);
      expect(await ids({ limit: 10, endReason: 'agent_hangup', number: '+1111' })).toEqual([c.callId, b.callId]);
      expect(await ids({ limit: 10, externalId: d.identity.externalId })).toEqual([d.callId]);
      expect((await store.query({ limit: 1 })).calls[0]).toEqual({
        callId: d.callId,
        externalId: d.identity.externalId,
        transport: 'twilio',
        from: '+5555',
        to: '+2000',
        agentId: 'support',
        startedAt: 4000,
        endedAt: d.endedAt,
        durationMs: 30_000,
        endReason: 'caller_hangup',
      });
    });

    it('pages with a cursor without repeats or gaps, also among calls that started in the same millisecond', async () => {
      store = await open();
      const records = Array.from({ length: 23 }, (_, i) => sampleRecord({ startedAt: 10_000 + Math.floor(i / 3) }));
      await store.put(records);
      const seen: string[] = [];
      let page = await store.query({ limit: 5 });
      for (;;) {
        seen.push(...page.calls.map((call) => call.callId));
        if (page.next === undefined) break;
        page = await store.query({ limit: 5, after: page.next });
      }
      const expected = [...records].sort((x, y) => y.startedAt - x.startedAt || (y.callId < x.callId ? -1 : 1)).map((r) => r.callId);
      expect(seen).toEqual(expected);
    });

    it('deletes records of calls that ended before a time', async () => {
      store = await open();
      const old = sampleRecord({ startedAt: 1000, endedAt: 5000 });
      const recent = sampleRecord({ startedAt: 9000, endedAt: 20_000 });
      await store.put([old, recent]);
      expect(await store.deleteEndedBefore(10_000)).toBe(1);
      expect(await store.getJson(old.callId)).toBeUndefined();
      expect(await store.getJson(recent.callId)).toBeDefined();
    });

    it('writes the same call twice as one row (a replayed write is harmless)', async () => {
      store = await open();
      const record = sampleRecord();
      await store.put([record]);
      await store.put([{ ...record, endReason: 'transferred' }]);
      const calls = (await store.query({ limit: 10 })).calls;
      expect(calls).toHaveLength(1);
      expect(calls[0]?.endReason).toBe('transferred');
    });

    it('reports a failed write as a rejection, then keeps writing', async () => {
      store = await open();
      const broken = sampleRecord();
      // NOT NULL column: the transaction fails and says why.
      (broken.identity as { to?: string }).to = undefined;
      await expect(store.put([broken])).rejects.toThrow(/null/i);
      const good = sampleRecord();
      await store.put([good]);
      expect(await store.getJson(good.callId)).toBeDefined();
      expect(await store.getJson(broken.callId)).toBeUndefined();
    });
  });
}
