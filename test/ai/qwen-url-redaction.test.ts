/** The model endpoint as logged: credentials in QWEN_URL (userinfo, a key in the query) never appear. */
import { afterEach, describe, expect, it } from 'vitest';
import { createQwenConnector } from '../../src/ai/qwen-session.js';
import { ScriptedQwenServer } from './support/scripted-qwen-server.js';
import { AiEventLog, captureLogger, connectorOptions, testProfile } from './support/qwen-harness.js';

let server: ScriptedQwenServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the model URL in the log', () => {
  it('shows the host and model, never userinfo or a key in the query, at trace level either', async () => {
    server = await ScriptedQwenServer.start();
    const log = captureLogger();
    const withSecrets = new URL(server.url);
    withSecrets.username = 'proxyuser';
    withSecrets.password = 'proxy-pass-9731';
    withSecrets.searchParams.set('key', 'sk-query-key-4242');
    const connect = createQwenConnector(connectorOptions({ url: withSecrets.toString() }, log));
    const session = await connect(testProfile(), new AiEventLog().onEvent, { callId: 'call-1' });
    session.close();

    const all = log.lines.join('');
    expect(all).not.toContain('proxyuser');
    expect(all).not.toContain('proxy-pass-9731');
    expect(all).not.toContain('sk-query-key-4242');
    const [connecting] = log.withMessage('qwen connecting');
    expect(connecting?.host).toBe(withSecrets.host);
  });
});
