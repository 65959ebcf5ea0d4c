/**
 * A scripted Qwen-Omni-Realtime endpoint on 127.0.0.1 for adapter tests: a real HTTP upgrade and a
 * real WebSocket, but every server event is sent by the test. It records what the client sent.
 * By default it does the documented handshake (session.created on connect, session.updated in
 * reply to session.update) so tests can start from an open session.
 */
import { STATUS_CODES, createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ScriptedServerOptions {
  /** Refuse the upgrade with this HTTP status and body instead of accepting it (the first `times` only, when set). */
  rejectUpgrade?: { status: number; body?: string; times?: number };
  /** Send session.created as soon as a client connects (default true). */
  sendSessionCreated?: boolean;
  /** Answer session.update with session.updated (default true). */
  acceptSessionUpdate?: boolean;
}

export type ClientEventJson = Record<string, unknown> & { type: string };

interface Waiter {
  type: string;
  nth: number;
  resolve: (event: ClientEventJson) => void;
}

export class ScriptedConnection {
  readonly received: ClientEventJson[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters: Waiter[] = [];
  private serverEventCount = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly rawSocket: Socket,
    private readonly options: ScriptedServerOptions,
  ) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    });
    ws.on('error', () => undefined);
    // The server keeps ws's default binaryType, so every frame arrives as one Buffer.
    ws.on('message', (data) => this.onMessage((data as Buffer).toString('utf8')));
    if (options.sendSessionCreated ?? true) {
      this.send({ type: 'session.created', session: { id: 'sess_test', object: 'realtime.session' } });
    }
  }

  /** Client events of one type, in arrival order. */
  ofType(type: string): ClientEventJson[] {
    return this.received.filter((event) => event.type === type);
  }

  /** Resolves with the nth (1-based) client event of this type once it has arrived. */
  waitFor(type: string, nth = 1): Promise<ClientEventJson> {
    const already = this.ofType(type)[nth - 1];
    if (already !== undefined) return Promise.resolve(already);
    return new Promise((resolve) => this.waiters.push({ type, nth, resolve }));
  }

  /** Sends a server event; an event_id is added as the service does. */
  send(event: Record<string, unknown>): void {
    this.serverEventCount += 1;
    this.ws.send(JSON.stringify({ event_id: `event_srv${this.serverEventCount}`, ...event }));
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** Writes a frame with a reserved opcode straight to the TCP socket: the client must fail the connection. */
  sendInvalidFrame(): void {
    this.rawSocket.write(Buffer.from([0x83, 0x00]));
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  private onMessage(text: string): void {
    const event = JSON.parse(text) as ClientEventJson;
    this.received.push(event);
    if (event.type === 'session.update' && (this.options.acceptSessionUpdate ?? true)) {
      this.send({ type: 'session.updated', session: { id: 'sess_test', ...(event.session as object) } });
    }
    const count = this.ofType(event.type).length;
    for (const waiter of [...this.waiters]) {
      if (waiter.type === event.type && waiter.nth === count) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  }
}

export class ScriptedQwenServer {
  readonly upgradeRequests: { url: string; headers: IncomingHttpHeaders }[] = [];
  private readonly connections: ScriptedConnection[] = [];
  private readonly connectionWaiters: ((conn: ScriptedConnection) => void)[] = [];
  private readonly rawSockets = new Set<Socket>();

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(options: ScriptedServerOptions = {}): Promise<ScriptedQwenServer> {
    const wss = new WebSocketServer({ noServer: true });
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    const server = new ScriptedQwenServer(http, wss, `ws://127.0.0.1:${port}/api-ws/v1/realtime`);
    http.on('upgrade', (req, socket: Socket, head) => {
      server.rawSockets.add(socket);
      socket.on('close', () => server.rawSockets.delete(socket));
      server.upgradeRequests.push({ url: req.url ?? '', headers: req.headers });
      const reject = options.rejectUpgrade;
      if (reject !== undefined && (reject.times === undefined || server.upgradeRequests.length <= reject.times)) {
        const body = reject.body ?? '';
        socket.end(
          `HTTP/1.1 ${reject.status} ${STATUS_CODES[reject.status] ?? 'Error'}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => server.accept(new ScriptedConnection(ws, socket, options)));
    });
    return server;
  }

  /** Resolves with the nth (1-based) connection once it has been accepted. */
  connection(nth = 1): Promise<ScriptedConnection> {
    const already = this.connections[nth - 1];
    if (already !== undefined) return Promise.resolve(already);
    return new Promise((resolve) => {
      const wait = (conn: ScriptedConnection): void => {
        if (this.connections.length === nth) resolve(conn);
        else this.connectionWaiters.push(wait);
      };
      this.connectionWaiters.push(wait);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.rawSockets) socket.destroy();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private accept(conn: ScriptedConnection): void {
    this.connections.push(conn);
    const waiters = this.connectionWaiters.splice(0);
    for (const wait of waiters) wait(conn);
  }
}
