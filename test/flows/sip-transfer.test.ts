/**
 * Transfers on SIP calls through the real app, as a carrier sees them: the drachtio-server
 * simulator plays the carrier, the caller presses 0 (SIP INFO), the bridge sends REFER in the
 * dialog, and the carrier reports the target's progress with NOTIFY sipfrag. Checked: Referred-By
 * names the dialed number, a final NOTIFY 200 after the agent's time limit still ends our side
 * as `transferred` (with BYE), and a failed transfer's status stays in the call record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RtpPeer, waitUntil } from '../sip/rtp/rtp-peer.js';
import { DrachtioServerSim, type SimDialog } from '../../src/sim/drachtio/drachtio-server-sim.js';
import { agentsFolder } from '../support/agent-folder.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

const CALLER = '"Alice" <sip:+15551230000@carrier.example>';
const CALLED = 'sip:+15550100@bridge.example';
const RTP_PORT_MIN = 26_600;

let drachtio: DrachtioServerSim | undefined;
let bridge: Bridge | undefined;
let peer: RtpPeer | undefined;

afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
  await drachtio?.close();
  drachtio = undefined;
  peer?.close();
  peer = undefined;
});

const agent = (timeoutMs: number): string => `
id: desk
numbers: ["*"]
instructions: Help the caller.
greeting: { mode: none }
transfer:
  timeoutMs: ${timeoutMs}
  targets:
    human: "sip:desk@pbx.example"
keypad:
  "0": { action: transfer, target: human }
`;

async function sipBridge(transferTimeoutMs: number): Promise<{ bridge: Bridge; drachtio: DrachtioServerSim }> {
  drachtio = await DrachtioServerSim.start();
  const dir = agentsFolder({ 'desk.yaml': agent(transferTimeoutMs) });
  bridge = await startBridge({
    env: { SIP_ENABLED: 'true', DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: String(drachtio.port), DRACHTIO_SECRET: 'cymru' },
    configure: (config) => {
      config.agentsPath = dir;
      config.sip.reconnectMaxDelayMs = 200;
      config.sip.allowFrom = ['198.51.100.0/24'];
      config.sip.rtp = {
        ...config.sip.rtp,
        bindAddress: '127.0.0.1',
        advertisedAddress: '127.0.0.1',
        portMin: RTP_PORT_MIN,
        portMax: RTP_PORT_MIN + 99,
        idleAudio: 'silence',
      };
    },
  });
  await bridge.app.sip!.link.connected;
  await drachtio.waitForRoute('invite');
  return { bridge, drachtio };
}

function offer(rtpPort: number): string {
  return [
    'v=0',
    'o=carrier 1000 1 IN IP4 127.0.0.1',
    's=call',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${rtpPort} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** An answered call whose agent is up (model session open), after the caller pressed 0. */
async function callAndPressZero(b: Bridge, sim: DrachtioServerSim): Promise<SimDialog> {
  peer = await RtpPeer.open();
  const invite = sim.sendInvite({ from: CALLER, to: CALLED, sdp: offer(peer.address.port) });
  const dialog = await invite.answered();
  sim.sendAck(dialog);
  await waitUntil(() => b.app.calls.list().some((c) => c.state === 'active'), 'agent up', 5_000);
  await sim.sendInfo(dialog, 'Signal=0\r\nDuration=160\r\n').finalResponse();
  return dialog;
}

describe('transfers on SIP calls', () => {
  it('a final NOTIFY 200 after the agent gave up still ends the call as transferred, with BYE', async () => {
    const { bridge: b, drachtio: sim } = await sipBridge(1_000);
    const dialog = await callAndPressZero(b, sim);
    const refer = await sim.appRequest('REFER');
    expect(refer.message.get('Refer-To')).toBe('<sip:desk@pbx.example>');
    expect(refer.message.get('Referred-By')).toMatch(/^<sip:\+15550100@[^>]+>$/);
    sim.respondTo(refer, 202);
    sim.sendNotify(dialog, 'SIP/2.0 180 Ringing', { subscriptionState: 'active;expires=60' });
    // The 1 s limit passes: the model is told the transfer failed and the call goes on.
    await waitUntil(
      () => b.sim.sessions[0]!.received.some((e) => e.type === 'response.create' && JSON.stringify(e).includes('transfer to human failed')),
      'model told of the failure',
      5_000,
    );
    expect(b.records).toHaveLength(0);

    sim.sendNotify(dialog, 'SIP/2.0 200 OK'); // the person answered after all
    const record = await b.ended(1);
    expect(record).toMatchObject({ endReason: 'transferred', endDetail: 'human (after the time limit)' });
    expect(record.transfers).toEqual([expect.objectContaining({ target: 'human', outcome: 'transferred', late: true })]);
    const bye = await sim.appRequest('BYE');
    expect(bye.message.get('Reason')).toContain('transferred');
  }, 20_000);

  it('keeps the call after a 486 from the target and records the status', async () => {
    const { bridge: b, drachtio: sim } = await sipBridge(10_000);
    const dialog = await callAndPressZero(b, sim);
    sim.respondTo(await sim.appRequest('REFER'), 202);
    sim.sendNotify(dialog, 'SIP/2.0 486 Busy Here');
    await waitUntil(
      () => b.sim.sessions[0]!.received.some((e) => e.type === 'response.create' && JSON.stringify(e).includes('(busy)')),
      'model told the target was busy',
      5_000,
    );
    expect(b.records).toHaveLength(0);
    sim.sendBye(dialog);
    const record = await b.ended(1);
    expect(record.endReason).toBe('caller_hangup');
    expect(record.transfers).toEqual([expect.objectContaining({ target: 'human', outcome: 'failed', status: 486 })]);
  }, 20_000);
});
