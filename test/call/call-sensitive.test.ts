/**
 * A caller types an account number and a PIN; the model passes them to webhook tools. The tools
 * get the real values; the call record, the end-of-call webhook payload (the same record) and the
 * log at trace level never hold them. Real agent tools loaded from an agent file, a real HTTP
 * webhook on 127.0.0.1, the model's side played by the test.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { agentsFolder, loadFolder } from '../support/agent-folder.js';
import { buildCall, TEST_IDENTITY, testProfile } from '../support/call-harness.js';
import { sendJson, startHttpStub, type HttpStub } from '../support/http-stub.js';

const AGENT = `
id: accounts
numbers: ["*"]
instructions: Help the caller with their account.
greeting: { mode: none }
tools:
  - collect_digits
  - name: lookup_order
    description: Look up orders by order or account number.
    parameters: { type: object, properties: { order_number: { type: string } } }
    url: \${SERVICE_URL}/orders
  - name: verify_pin
    description: Check the caller's PIN.
    parameters:
      type: object
      properties:
        pin: { type: string, sensitive: true }
        customer: { type: object, properties: { dob: { type: string, sensitive: true }, name: { type: string } } }
      required: [pin]
    url: \${SERVICE_URL}/verify
`;

let stub: HttpStub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe('typed digits and sensitive tool parameters', () => {
  it('reach the tools as typed and are masked in the record and the log, at trace level too', async () => {
    stub = await startHttpStub((req, res) =>
      req.path === '/orders' ? sendJson(res, 200, { account: '73915582', status: 'shipped' }) : sendJson(res, 200, { ok: true }),
    );
    const logLines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
    const agents = loadFolder(agentsFolder({ 'accounts.yaml': AGENT }), { env: { SERVICE_URL: stub.url }, logger });
    const agent = agents.resolve('+15550100')!;
    // The model is offered the schema without our `sensitive` marks.
    expect(JSON.stringify(agent.profile.tools)).not.toContain('sensitive');

    const tools = agent.openTools({ callId: 'call-1', identity: TEST_IDENTITY });
    const { call, ai, records } = buildCall({ profile: testProfile({ tools: agent.profile.tools }), tools, logger });
    await call.start();
    const model = ai.last;
    const toolResults = () => model.sent.filter((s) => s.type === 'tool_result');

    model.emit({ type: 'tool_call', responseId: 'r1', toolCallId: 'c1', name: 'collect_digits', arguments: '{"purpose": "account number", "max_digits": 8}' });
    for (const digit of '73915582') call.onMedia({ type: 'dtmf', digit });
    await until(() => toolResults().length === 1, 'the digits');
    expect(toolResults()[0]).toMatchObject({ output: '{"digits":"73915582","ended_by":"max_digits"}' });

    model.emit({ type: 'tool_call', responseId: 'r2', toolCallId: 'c2', name: 'lookup_order', arguments: '{"order_number": "73915582"}' });
    await until(() => toolResults().length === 2, 'lookup_order');
    model.emit({
      type: 'tool_call',
      responseId: 'r3',
      toolCallId: 'c3',
      name: 'verify_pin',
      arguments: '{"pin": "4921", "customer": {"dob": "1980-05-01", "name": "Ann"}}',
    });
    await until(() => toolResults().length === 3, 'verify_pin');
    model.emit({ type: 'assistant_transcript_done', responseId: 'r4', itemId: 'i4', text: 'Your account 7391 5582 is verified.' });
    model.emit({ type: 'caller_transcript', itemId: 'u1', text: 'my pin is 4921', final: true });
    await call.close('caller_hangup');

    // The tools got the real values; the model got the real answers.
    expect(stub.requests.map((r) => (r.body as { arguments: unknown }).arguments)).toEqual([
      { order_number: '73915582' },
      { pin: '4921', customer: { dob: '1980-05-01', name: 'Ann' } },
    ]);
    expect(toolResults()[1]).toMatchObject({ output: '{"account":"73915582","status":"shipped"}' });

    // The record (what the store keeps and the end-of-call webhook sends) holds none of them.
    const record = records[0]!;
    const stored = JSON.stringify(record);
    for (const secret of ['73915582', '7391', '5582', '4921', '1980-05-01']) expect(stored).not.toContain(secret);
    expect(record.toolCalls.map((t) => [t.name, t.arguments, t.output])).toEqual([
      ['collect_digits', '{"purpose": "account number", "max_digits": 8}', '{"digits":"xxxxxxxx","ended_by":"max_digits"}'],
      ['lookup_order', '{"order_number":"xxxxxxxx"}', '{"account":"xxxxxxxx","status":"shipped"}'],
      ['verify_pin', '{"pin":"xxxx","customer":{"dob":"xxxx-xx-xx","name":"Ann"}}', '{"ok":true}'],
    ]);
    expect(record.turns.map((t) => t.text)).toEqual(['Your account xxxx xxxx is verified.', 'my pin is xxxx']);

    // Nor does the log, at trace level.
    const log = logLines.join('');
    expect(log).toContain('tool call arguments');
    for (const secret of ['73915582', '7391', '4921', '1980-05-01']) expect(log).not.toContain(secret);
  });
});
