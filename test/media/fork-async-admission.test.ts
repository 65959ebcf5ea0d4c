/**
 * Admission that answers later (a cluster's seat is a database round trip): frames in the
 * meantime are not the call's, a quota refusal closes with 4429, and a caller who hangs up while
 * the seat is being taken still ends the call it was then given.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AdmissionResult, MediaEvent } from '../../src/call/media-leg.js';
import { startHarness, TestClient, twilioMedia, twilioStart, until, type Harness } from './fork-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A fork server whose admissions wait until the test settles them. */
async function pendingAdmissions(): Promise<{ harness: Harness; pending: Array<(result: AdmissionResult) => void> }> {
  const pending: Array<(result: AdmissionResult) => void> = [];
  const harness = await startHarness({
    admit: () => new Promise<AdmissionResult>((resolve) => pending.push(resolve)),
  });
  return { harness, pending };
}

describe('a fork stream whose admission answers later', () => {
  it('drops frames sent before the answer, then delivers the call its media', async () => {
    const { harness, pending } = await pendingAdmissions();
    h = harness;
    const client = await TestClient.open(h.url('/media/twilio'));
    client.sendJson(twilioStart());
    await until(() => pending.length === 1, 'admission asked');
    client.sendJson(twilioMedia(Buffer.from([0xff, 0xff])));
    await new Promise((resolve) => setImmediate(resolve));
    const events: MediaEvent[] = [];
    pending[0]!({ accepted: true, onEvent: (event) => events.push(event) });
    await new Promise((resolve) => setImmediate(resolve));
    client.sendJson(twilioMedia(Buffer.from([0xff, 0xff])));
    await until(() => events.length === 1, 'audio');
    expect(events.map((event) => event.type)).toEqual(['audio']);
    client.ws.close();
  });

  it('closes with 4429 "model_quota" when the quota is full, and counts the refusal', async () => {
    const { harness, pending } = await pendingAdmissions();
    h = harness;
    const client = await TestClient.open(h.url('/media/twilio'));
    client.sendJson(twilioStart());
    await until(() => pending.length === 1, 'admission asked');
    pending[0]!({ accepted: false, reason: 'model_quota' });
    expect(await client.closed).toEqual({ code: 4429, reason: 'model_quota' });
    expect(h.fork.counts().rejected.admission_refused).toBe(1);
  });

  it('ends the call at once when the caller hung up before the admission answered', async () => {
    const { harness, pending } = await pendingAdmissions();
    h = harness;
    const client = await TestClient.open(h.url('/media/twilio'));
    client.sendJson(twilioStart());
    await until(() => pending.length === 1, 'admission asked');
    client.ws.terminate();
    await client.closed;
    await until(() => h!.fork.counts().connections === 0, 'server saw the close');
    const events: MediaEvent[] = [];
    pending[0]!({ accepted: true, onEvent: (event) => events.push(event) });
    await until(() => events.length > 0, 'the call told');
    expect(events).toEqual([{ type: 'hangup', detail: 'media socket closed during admission' }]);
  });
});
