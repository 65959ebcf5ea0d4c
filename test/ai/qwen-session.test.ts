import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createQwenConnector } from '../../src/ai/qwen-session.js';
import { AiConnectError } from '../../src/call/ai-session.js';
import { ScriptedQwenServer } from './support/scripted-qwen-server.js';
import {
  AiEventLog,
  TEST_API_KEY,
  captureLogger,
  connectorOptions,
  testProfile,
} from './support/qwen-harness.js';

let server: ScriptedQwenServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function startServer(options: Parameters<typeof ScriptedQwenServer.start>[0] = {}): Promise<ScriptedQwenServer> {
  server = await ScriptedQwenServer.start(options);
  return server;
}

async function connectError(promise: Promise<unknown>): Promise<AiConnectError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AiConnectError);
  return err as AiConnectError;
}

describe('createQwenConnector: handshake', () => {
  it('connects with the key, model and workspace, and sends the profile as session.update', async () => {
    const srv = await startServer();
    const log = captureLogger();
    const events = new AiEventLog();
    const connect = createQwenConnector(connectorOptions(srv, log, { workspaceId: 'ws-123' }));
    const profile = testProfile({
      tools: [
        {
          name: 'transfer_call',
          description: 'Transfer the caller to a human agent',
          parameters: { type: 'object', properties: { department: { type: 'string' } }, required: ['department'] },
        },
      ],
      temperature: 0.7,
      turnDetection: { type: 'server_vad', threshold: 0.6, prefixPaddingMs: 300, silenceDurationMs: 800, idleTimeoutMs: 10_000 },
    });

    const session = await connect(profile, events.onEvent, { callId: 'call-1' });

    expect(session.state).toBe('open');
    const request = srv.upgradeRequests[0]!;
    expect(request.url).toBe('/api-ws/v1/realtime?model=qwen3.5-omni-flash-realtime');
    expect(request.headers.authorization).toBe(`Bearer ${TEST_API_KEY}`);
    expect(request.headers['x-dashscope-workspace']).toBe('ws-123');
    const conn = await srv.connection();
    expect(conn.received).toHaveLength(1);
    const { event_id: eventId, ...update } = conn.received[0]!;
    // A random per-session prefix and a base-36 count: unique per event without a random draw each.
    expect(eventId).toMatch(/^event_[0-9a-f]{16}[0-9a-z]+$/);
    expect(update).toEqual({
      type: 'session.update',
      session: {
        modalities: ['text', 'audio'],
        voice: 'Tina',
        input_audio_format: 'pcm',
        output_audio_format: 'pcm',
        instructions: 'You are the phone assistant for ACME. Keep answers short.',
        input_audio_transcription: { model: 'qwen3-asr-flash-realtime' },
        turn_detection: {
          type: 'server_vad',
          threshold: 0.6,
          prefix_padding_ms: 300,
          silence_duration_ms: 800,
          idle_timeout_ms: 10_000,
        },
        tools: [
          {
            type: 'function',
            function: {
              name: 'transfer_call',
              description: 'Transfer the caller to a human agent',
              parameters: { type: 'object', properties: { department: { type: 'string' } }, required: ['department'] },
            },
          },
        ],
        temperature: 0.7,
      },
    });
    session.close();
  });

  it('sends no workspace header without a workspace id, and falls back to the configured model', async () => {
    const srv = await startServer();
    const connect = createQwenConnector(connectorOptions(srv, captureLogger()));
    const session = await connect(testProfile({ model: '' }), () => undefined, { callId: 'call-1' });
    const request = srv.upgradeRequests[0]!;
    expect(request.url).toBe('/api-ws/v1/realtime?model=qwen3.5-omni-plus-realtime');
    expect(request.headers['x-dashscope-workspace']).toBeUndefined();
    session.close();
  });

  it('delivers ready, and events that raced it, only after the connector has resolved', async () => {
    const srv = await startServer({ acceptSessionUpdate: false });
    const events = new AiEventLog();
    let resolved = false;
    const seenBeforeResolve: string[] = [];
    const connect = createQwenConnector(connectorOptions(srv, captureLogger()));
    const pending = connect(
      testProfile(),
      (event) => {
        if (!resolved) seenBeforeResolve.push(event.type);
        events.onEvent(event);
      },
      { callId: 'call-1' },
    );
    const conn = await srv.connection();
    await conn.waitFor('session.update');
    const speech = events.next('speech_started');
    conn.send({ type: 'session.updated', session: { id: 'sess_test' } });
    conn.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 120, item_id: 'item_1' });
    const session = await pending;
    resolved = true;
    await speech;

    expect(seenBeforeResolve).toEqual([]);
    expect(events.events).toEqual([
      { type: 'ready' },
      { type: 'speech_started', itemId: 'item_1', audioStartMs: 120 },
    ]);
    session.close();
  });

  it('rejects with rejected_config when the server answers session.update with an error', async () => {
    const srv = await startServer({ acceptSessionUpdate: false });
    const connect = createQwenConnector(connectorOptions(srv, captureLogger()));
    const pending = connect(testProfile(), () => undefined, { callId: 'call-1' });
    const conn = await srv.connection();
    await conn.waitFor('session.update');
    conn.send({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        code: 'invalid_value',
        message: "Invalid modalities: ['audio']. Supported combinations are: ['text'] and ['audio', 'text'].",
        param: 'session.modalities',
      },
    });

    const err = await connectError(pending);
    expect(err.kind).toBe('rejected_config');
    expect(err.message).toContain("Invalid modalities: ['audio']");
    await conn.closed;
  });
});

describe('createQwenConnector: failures', () => {
  it.each([
    [401, 'auth'],
    [403, 'auth'],
    [429, 'rate_limited'],
    [500, 'server'],
    [503, 'server'],
    [404, 'handshake'],
  ] as const)('maps an HTTP %i upgrade to %s', async (status, kind) => {
    const srv = await startServer({ rejectUpgrade: { status, body: '{"code":"SomeCode","message":"details here"}' } });
    const connect = createQwenConnector(connectorOptions(srv, captureLogger()));

    const err = await connectError(connect(testProfile(), () => undefined, { callId: 'call-1' }));

    expect(err.kind).toBe(kind);
    expect(err.httpStatus).toBe(status);
    expect(err.message).toContain('details here');
  });

  it.each([
    ['InvalidApiKey', 'auth'],
    ['Throttling.RateQuota', 'rate_limited'],
    ['InternalError', 'server'],
    ['Arrearage', 'quota'],
    ['COMMON_ERROR limit_requests', 'rate_limited'],
    ['insufficient_quota', 'quota'],
    ['SomethingNew', 'handshake'],
  ] as const)('maps an in-band %s error before session.created to %s', async (code, kind) => {
    const srv = await startServer({ sendSessionCreated: false });
    const connect = createQwenConnector(connectorOptions(srv, captureLogger()));
    const pending = connect(testProfile(), () => undefined, { callId: 'call-1' });
    const conn = await srv.connection();
    conn.send({ type: 'error', error: { code, message: 'from the server' } });

    const err = await connectError(pending);
    expect(err.kind).toBe(kind);
    expect(err.message).toContain('from the server');
    await conn.closed;
  });

  it('retries a 503 with backoff and connects on the next attempt', async () => {
    const srv = await startServer({ rejectUpgrade: { status: 503, body: 'busy', times: 1 } });
    const log = captureLogger();
    const connect = createQwenConnector(connectorOptions(srv, log, { connectRetries: 2, random: () => 0 }));

    const session = await connect(testProfile(), () => undefined, { callId: 'call-1' });

    expect(session.state).toBe('open');
    expect(srv.upgradeRequests).toHaveLength(2);
    expect(log.withMessage('qwen connect failed')).toMatchObject([{ kind: 'server', attempt: 1, retrying: true }]);
    session.close();
  });

  it('retries a rate limit named only in the message, and gives up after the configured attempts', async () => {
    const srv = await startServer({ rejectUpgrade: { status: 400, body: '{"code":"COMMON_ERROR","message":"Requests rate limit exceeded (limit_burst_rate)"}' } });
    const connect = createQwenConnector(connectorOptions(srv, captureLogger(), { connectRetries: 2, random: () => 0 }));

    const err = await connectError(connect(testProfile(), () => undefined, { callId: 'call-1' }));

    expect(err.kind).toBe('rate_limited');
    expect(srv.upgradeRequests).toHaveLength(3);
  });

  it('does not retry a refused key', async () => {
    const srv = await startServer({ rejectUpgrade: { status: 401, body: '{"code":"InvalidApiKey"}' } });
    const connect = createQwenConnector(connectorOptions(srv, captureLogger(), { connectRetries: 2, random: () => 0 }));

    const err = await connectError(connect(testProfile(), () => undefined, { callId: 'call-1' }));

    expect(err.kind).toBe('auth');
    expect(srv.upgradeRequests).toHaveLength(1);
  });

  it('tells the user what to check when the key is refused', async () => {
    const srv = await startServer({ rejectUpgrade: { status: 401, body: '{"code":"InvalidApiKey"}' } });
    const connect = createQwenConnector(connectorOptions(srv, captureLogger()));

    const err = await connectError(connect(testProfile(), () => undefined, { callId: 'call-1' }));

    expect(err.message).toContain('DASHSCOPE_API_KEY');
    expect(err.message).toContain('region');
    expect(err.message).toContain(new URL(srv.url).host);
  });

  it('times out when session.created never comes, and closes the socket', async () => {
    const srv = await startServer({ sendSessionCreated: false });
    const connect = createQwenConnector(connectorOptions(srv, captureLogger(), { connectTimeoutMs: 150 }));

    const err = await connectError(connect(testProfile(), () => undefined, { callId: 'call-1' }));

    expect(err.kind).toBe('timeout');
    const conn = await srv.connection();
    await conn.closed;
    expect(conn.received).toEqual([]);
  });

  it('reports a refused TCP connection as a handshake failure', async () => {
    const srv = await startServer();
    const url = srv.url;
    await srv.close();
    server = undefined;
    const connect = createQwenConnector(connectorOptions({ url }, captureLogger()));

    const err = await connectError(connect(testProfile(), () => undefined, { callId: 'call-1' }));

    expect(err.kind).toBe('handshake');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('reports a socket the server closes mid-handshake as a handshake failure', async () => {
    const srv = await startServer({ acceptSessionUpdate: false });
    const connect = createQwenConnector(connectorOptions(srv, captureLogger()));
    const pending = connect(testProfile(), () => undefined, { callId: 'call-1' });
    const conn = await srv.connection();
    await conn.waitFor('session.update');
    conn.close(1011, 'internal');

    const err = await connectError(pending);
    expect(err.kind).toBe('handshake');
    expect(err.message).toContain('1011');
  });

  it('aborts a connect when the call ends first, and closes the socket', async () => {
    const srv = await startServer({ sendSessionCreated: false });
    const connect = createQwenConnector(connectorOptions(srv, captureLogger()));
    const abort = new AbortController();
    const pending = connect(testProfile(), () => undefined, { callId: 'call-1', signal: abort.signal });
    const conn = await srv.connection();
    const reason = new Error('caller hung up');
    abort.abort(reason);

    await expect(pending).rejects.toBe(reason);
    await conn.closed;
  });

  it('does not open a socket for a call that has already ended', async () => {
    const srv = await startServer();
    let socketsCreated = 0;
    const connect = createQwenConnector(
      connectorOptions(srv, captureLogger(), {
        createSocket: (url, headers) => {
          socketsCreated += 1;
          return new WebSocket(url, { headers });
        },
      }),
    );
    const abort = new AbortController();
    abort.abort(new Error('caller hung up'));

    await expect(connect(testProfile(), () => undefined, { callId: 'call-1', signal: abort.signal })).rejects.toThrow(
      'caller hung up',
    );
    expect(socketsCreated).toBe(0);
  });

  it('rejects options it cannot honour when the connector is created', () => {
    const options = connectorOptions({ url: 'ws://127.0.0.1:1/x' }, captureLogger());
    expect(() => createQwenConnector({ ...options, appendBatchMs: 120 })).toThrow(RangeError);
    expect(() => createQwenConnector({ ...options, appendBatchMs: 0 })).toThrow(RangeError);
    expect(() => createQwenConnector({ ...options, url: 'https://dashscope.aliyuncs.com/api-ws/v1/realtime' })).toThrow(
      RangeError,
    );
    expect(() => createQwenConnector({ ...options, apiKey: '' })).toThrow(RangeError);
    expect(() => createQwenConnector({ ...options, appendBatchMs: 100 })).not.toThrow();
  });
});

describe('createQwenConnector: the API key stays out of logs', () => {
  it('never writes the key or the Authorization header, at any level, on success or failure', async () => {
    const log = captureLogger();
    // A server that echoes the key in its refusal, as a careless proxy might.
    const refusing = await ScriptedQwenServer.start({
      rejectUpgrade: { status: 401, body: `{"message":"bad key ${TEST_API_KEY}"}` },
    });
    const err = await connectError(
      createQwenConnector(connectorOptions(refusing, log))(testProfile(), () => undefined, { callId: 'call-1' }),
    );
    await refusing.close();

    const srv = await startServer();
    const events = new AiEventLog();
    const session = await createQwenConnector(connectorOptions(srv, log))(testProfile(), events.onEvent, {
      callId: 'call-2',
    });
    const conn = await srv.connection();
    const errorSeen = events.next('error');
    conn.send({ type: 'error', error: { code: 'invalid_value', message: 'something' } });
    conn.sendRaw('{broken');
    conn.send({ type: 'a.new.event' });
    await errorSeen;
    const closed = events.next('closed');
    conn.close(4000, 'bye');
    await closed;

    expect(err.message).not.toContain(TEST_API_KEY);
    expect(log.lines.length).toBeGreaterThan(8);
    const everything = log.lines.join('\n');
    expect(everything).not.toContain(TEST_API_KEY);
    expect(everything.toLowerCase()).not.toContain('bearer');
    expect(everything.toLowerCase()).not.toContain('authorization');
    session.close();
  });
});
