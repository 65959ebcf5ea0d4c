/**
 * A simulator of drachtio-server's app-facing TCP protocol (inbound mode), so CI can drive the
 * real drachtio-srf without a SIP server. It stands in for both the server and "the network":
 * tests call `sendInvite`, `sendBye`, … to play the far end, and inspect what the app answered.
 *
 * Modelled: framing, authenticate/route/remove_route/ping, round-robin of new requests per method,
 * 503 with no route, 481 for an INVITE with an unknown To-tag, server transactions from the
 * network (responses completed and echoed), in-dialog requests from an app (echoed, then answered
 * by the test with `respondTo`), out-of-dialog non-INVITE requests from an app, CANCEL (the stack
 * answers 200/487 itself), dialogs owned by the connection that answered.
 * Not modelled: app-originated INVITEs (createUAC) and CANCEL of them, proxy, 100rel/PRACK,
 * session timers, CDRs, outbound (`srf.listen`) mode, retransmissions, TLS.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  cancelFor, chosenToTag, completeAppInDialogRequest, completeAppRequest, completeAppResponse, hostPort,
  networkInDialogRequest, networkRequest, partyContact, responseTo, type HostPort,
} from './sip-assembly.js';
import { CRLF, randomToken, SipMessage, asNameAddr, tagOf, uriOf, withTag } from './sip-message.js';
import {
  AppConnection, AppRequest, InviteTransaction, NetworkTransaction, SimDialog,
  type FrameRecord, type SipRecord,
} from './sim-records.js';
import { RouteTable } from './route-table.js';
import { ChangeSignal, DEFAULT_WAIT_MS } from './wait-until.js';
import { encodeFrame, FrameDecoder, FrameError, SERVER_MAX_LENGTH_DIGITS } from './wire-frame.js';

export { AppConnection, AppRequest, InviteTransaction, NetworkTransaction, SimDialog } from './sim-records.js';
export type { FrameRecord, SipRecord } from './sim-records.js';

export interface DrachtioServerSimOptions {
  /** Shared secret apps must present (drachtio's sample configs use 'cymru'). */
  secret?: string;
  /** Version string sent on authenticate; srf parses `^v(\d+)\.(\d+)\.(\d+)` from it. */
  version?: string;
  /** The server's own SIP address (hostports, Via, Contact). RFC 5737 documentation range. */
  sipAddress?: HostPort;
  /** Where "the network" (the far end) sends from. */
  networkAddress?: HostPort;
}

export interface InviteOptions {
  /** Caller: a SIP URI or a name-addr (`"Alice" <sip:+15551230000@carrier.example>`). */
  from: string;
  /** Called party; a To-tag here makes it an INVITE for an unknown dialog (the stack answers 481). */
  to: string;
  requestUri?: string;
  sdp?: string;
  callId?: string;
  /** The caller's Contact URI (default: its user at the network address); null sends none. */
  contact?: string | null;
  headers?: Record<string, string>;
}

export interface InDialogOptions {
  headers?: Record<string, string>;
  body?: string;
  contentType?: string;
}

export interface RespondOptions {
  reason?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** drachtio's timestamp field: `HH:MM:SS.micro` (milliseconds are all a JS clock has). */
function stackTime(now = new Date()): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}000`;
}

export class DrachtioServerSim {
  readonly host = '127.0.0.1';
  /** Every connection ever accepted, in order (closed ones stay, with `closed` set). */
  readonly connections: AppConnection[] = [];
  readonly frames: FrameRecord[] = [];
  readonly sipLog: SipRecord[] = [];
  /** Requests apps sent towards the network, in order. */
  readonly appRequests: AppRequest[] = [];
  /** Requests the network sent, in order (including ones no app received). */
  readonly networkRequests: NetworkTransaction[] = [];

  private readonly secret: string;
  private readonly version: string;
  private readonly sipAddress: HostPort;
  private readonly networkAddress: HostPort;
  private readonly signal = new ChangeSignal();
  private readonly routes = new RouteTable();
  /** Transactions from the network still awaiting a final response from their app. */
  private readonly serverTxns = new Map<string, { txn: NetworkTransaction; toTag: string }>();
  private readonly clientTxns = new Map<string, AppRequest>();
  private readonly dialogs = new Map<string, SimDialog>();
  private holding = false;
  private readonly held: Array<{ connection: AppConnection; body: string }> = [];
  private nextConnectionId = 1;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    options: DrachtioServerSimOptions,
  ) {
    this.secret = options.secret ?? 'cymru';
    this.version = options.version ?? 'v0.9.3';
    this.sipAddress = options.sipAddress ?? { address: '192.0.2.10', port: 5060 };
    this.networkAddress = options.networkAddress ?? { address: '198.51.100.7', port: 5060 };
  }

  static async start(options: DrachtioServerSimOptions = {}): Promise<DrachtioServerSim> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const sim = new DrachtioServerSim(server, (server.address() as AddressInfo).port, options);
    server.on('connection', (socket) => sim.accept(socket));
    return sim;
  }

  /** `udp/<sip address>`: what authenticate reports as the server's SIP endpoints. */
  get hostports(): string {
    return `udp/${hostPort(this.sipAddress)}`;
  }

  get serverContact(): string {
    return `sip:${hostPort(this.sipAddress)}`;
  }

  get openConnections(): AppConnection[] {
    return this.connections.filter((c) => !c.closed);
  }

  /**
   * The route table entries for a verb, in order. drachtio-server keeps a multimap and never
   * de-duplicates, so an app that sends `route|invite` twice is listed (and picked) twice.
   */
  routedConnections(verb: string): AppConnection[] {
    return this.routes.list(verb.toLowerCase());
  }

  /** Dialogs the server still tracks. */
  get activeDialogs(): SimDialog[] {
    return [...this.dialogs.values()];
  }

  // ───────────────────────────── waiting ─────────────────────────────

  /** Resolves with the probe's first non-undefined value; fails after `timeoutMs`. */
  until<T>(probe: () => T | undefined, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    return this.signal.until(probe, what, timeoutMs);
  }

  /** Waits until `count` open connections have routed `method` (srf sends routes after authenticating). */
  waitForRoute(method: string, count = 1): Promise<AppConnection[]> {
    const verb = method.toLowerCase();
    return this.until(() => {
      const routed = this.openConnections.filter((c) => c.routes.has(verb));
      return routed.length >= count ? routed : undefined;
    }, `${count} app(s) routing ${verb}`);
  }

  /** The nth (1-based) request an app sent with this method. */
  appRequest(method: string, nth = 1): Promise<AppRequest> {
    return this.until(
      () => this.appRequests.filter((r) => r.method === method.toUpperCase())[nth - 1],
      `app request #${nth} ${method}`,
    );
  }

  // ─────────────────────── the network's side (test API) ───────────────────────

  /** A new call from the network. The stack sends 100 Trying; no app for `invite` → 503. */
  sendInvite(opts: InviteOptions): InviteTransaction {
    const fromTag = randomToken();
    const callId = opts.callId ?? `${randomToken(10)}@${this.networkAddress.address}`;
    const request = networkRequest({
      method: 'INVITE',
      requestUri: opts.requestUri ?? uriOf(opts.to),
      from: withTag(asNameAddr(opts.from), fromTag),
      to: asNameAddr(opts.to),
      callId,
      cseq: 1,
      via: this.networkAddress,
      contact: opts.contact === null ? undefined : (opts.contact ?? partyContact(opts.from, this.networkAddress)),
      headers: opts.headers,
      body: opts.sdp,
    });
    const dialogId = `${callId};from-tag=${fromTag}`;
    const hasToTag = tagOf(request.get('To')!) !== undefined;
    const app = hasToTag ? undefined : this.routes.pick('invite');
    const txn = new InviteTransaction(randomUUID(), request, app, app ? dialogId : '', this.signal);
    this.networkRequests.push(txn);
    this.stackResponse(txn, 100);
    if (hasToTag) this.stackResponse(txn, 481);
    else if (!app) this.stackResponse(txn, 503);
    else this.deliverNew(txn, app);
    this.signal.changed();
    return txn;
  }

  /** An OPTIONS ping from the network, outside any dialog (no app for `options` → 503). */
  sendOptions(opts: { requestUri?: string; from?: string; headers?: Record<string, string> } = {}): NetworkTransaction {
    const requestUri = opts.requestUri ?? this.serverContact;
    const request = networkRequest({
      method: 'OPTIONS',
      requestUri,
      from: withTag(asNameAddr(opts.from ?? `sip:monitor@${this.networkAddress.address}`), randomToken()),
      to: asNameAddr(requestUri),
      callId: `${randomToken(10)}@${this.networkAddress.address}`,
      cseq: 1,
      via: this.networkAddress,
      headers: opts.headers,
    });
    const app = this.routes.pick('options');
    const txn = new NetworkTransaction(randomUUID(), request, app, '', this.signal);
    this.networkRequests.push(txn);
    if (app) this.deliverNew(txn, app);
    else this.stackResponse(txn, 503);
    this.signal.changed();
    return txn;
  }

  /**
   * The caller cancels a pending INVITE. As drachtio-server does, the stack answers 200 to the
   * CANCEL and 487 to the INVITE itself, forgets the transaction, and only then tells the app:
   * the CANCEL goes to it with the INVITE's transaction id and dialog id. Returns the response
   * to the CANCEL (481 when the INVITE already had a final response).
   */
  sendCancel(invite: InviteTransaction): SipMessage {
    const cancel = cancelFor(invite.request);
    const pending = this.serverTxns.get(invite.txnId);
    if (!pending) {
      const reply = responseTo(cancel, 481);
      this.logToNetwork('stack', reply);
      return reply;
    }
    const reply = responseTo(cancel, 200, { toTag: pending.toTag });
    this.logToNetwork('stack', reply);
    invite.cancelled = true;
    this.stackResponse(invite, 487, pending.toTag);
    this.serverTxns.delete(invite.txnId);
    if (invite.app) this.deliverSip(invite.app, invite.txnId, invite.dialogId, cancel);
    this.signal.changed();
    return reply;
  }

  /** ACK for the last INVITE the network sent in this dialog (the app's 2xx). */
  sendAck(dialog: SimDialog): void {
    const ack = networkInDialogRequest(dialog, 'ACK', dialog.networkInviteCSeq, this.networkAddress);
    if (!dialog.owner.closed) this.deliverSip(dialog.owner, randomUUID(), dialog.id, ack);
  }

  /**
   * A request from the network inside `dialog`, delivered to the app that owns it (with a fresh
   * transaction id and the dialog id). Not delivered if that app's connection is gone. A BYE
   * ends the dialog on the server as soon as it is routed.
   */
  sendInDialog(dialog: SimDialog, method: string, opts: InDialogOptions = {}): NetworkTransaction {
    if (dialog.state === 'terminated') throw new Error(`dialog ${dialog.id} is terminated`);
    const upper = method.toUpperCase();
    const cseq = ++dialog.networkCSeq;
    if (upper === 'INVITE') dialog.networkInviteCSeq = cseq;
    const request = networkInDialogRequest(dialog, upper, cseq, this.networkAddress, opts);
    const app = dialog.owner.closed ? undefined : dialog.owner;
    const txn = upper === 'INVITE'
      ? new InviteTransaction(randomUUID(), request, app, dialog.id, this.signal)
      : new NetworkTransaction(randomUUID(), request, app, dialog.id, this.signal);
    if (txn instanceof InviteTransaction) txn.dialog = dialog;
    this.networkRequests.push(txn);
    if (upper === 'INVITE') this.stackResponse(txn, 100);
    if (app) {
      this.serverTxns.set(txn.txnId, { txn, toTag: dialog.app.tag });
      this.deliverSip(app, txn.txnId, dialog.id, request);
    }
    if (upper === 'BYE') this.endDialog(dialog);
    this.signal.changed();
    return txn;
  }

  sendBye(dialog: SimDialog, headers?: Record<string, string>): NetworkTransaction {
    return this.sendInDialog(dialog, 'BYE', { headers });
  }

  sendReInvite(dialog: SimDialog, sdp: string): InviteTransaction {
    return this.sendInDialog(dialog, 'INVITE', { body: sdp }) as InviteTransaction;
  }

  /** NOTIFY with a sipfrag body, as a transfer target's progress report for a REFER. */
  sendNotify(
    dialog: SimDialog,
    sipfrag: string,
    opts: { event?: string; subscriptionState?: string } = {},
  ): NetworkTransaction {
    return this.sendInDialog(dialog, 'NOTIFY', {
      headers: { Event: opts.event ?? 'refer', 'Subscription-State': opts.subscriptionState ?? 'terminated;reason=noresource' },
      body: sipfrag,
      contentType: 'message/sipfrag;version=2.0',
    });
  }

  sendInfo(dialog: SimDialog, body: string, contentType = 'application/dtmf-relay'): NetworkTransaction {
    return this.sendInDialog(dialog, 'INFO', { body, contentType });
  }

  /**
   * The network answers a request an app sent. Delivered as a `sip|network|…` frame carrying
   * the request's transaction id and dialog id, which is how srf resolves `dialog.request()` and
   * `dialog.destroy()`. A final response to a BYE ends the dialog on the server.
   */
  respondTo(request: AppRequest, status: number, opts: RespondOptions = {}): SipMessage {
    if (!this.clientTxns.has(request.txnId)) throw new Error(`${request.method} ${request.txnId} already has a final response`);
    if (request.method === 'INVITE' && !request.dialog) throw new Error('app-originated INVITEs (createUAC) are not simulated');
    const dialog = request.dialog;
    const response = responseTo(request.message, status, {
      toTag: dialog ? undefined : randomToken(),
      // A 2xx to a (re-)INVITE carries the answerer's Contact.
      contact: dialog && request.method === 'INVITE' && status >= 200 && status < 300 ? dialog.network.contact : undefined,
      ...opts,
    });
    request.responses.push(response);
    if (status >= 200) {
      this.clientTxns.delete(request.txnId);
      if (request.method === 'BYE' && request.dialog) this.endDialog(request.dialog);
    }
    if (!request.app.closed) this.deliverSip(request.app, request.txnId, request.dialog?.id ?? '', response);
    this.signal.changed();
    return response;
  }

  // ───────────────────────────── control ─────────────────────────────

  /** Queue frames from apps unprocessed, to make a network event cross an app's message in flight. */
  holdAppFrames(): void {
    this.holding = true;
  }

  waitForHeldFrames(count: number): Promise<number> {
    return this.until(() => (this.held.length >= count ? this.held.length : undefined), `${count} held app frame(s)`);
  }

  /** Process the held frames in arrival order and stop holding. */
  releaseAppFrames(): void {
    this.holding = false;
    for (const { connection, body } of this.held.splice(0)) {
      if (!connection.closed) this.onFrame(connection, body);
    }
  }

  /** Cut every app connection (as a server restart or network loss would). Dialogs stay. */
  dropConnections(): number {
    const open = this.openConnections;
    for (const connection of open) this.disconnect(connection, 'dropped', 'destroy');
    return open.length;
  }

  async close(): Promise<void> {
    for (const connection of this.openConnections) this.disconnect(connection, 'simulator closed', 'destroy');
    this.signal.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ───────────────────────────── app side ─────────────────────────────

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const connection = new AppConnection(this.nextConnectionId++, socket);
    this.connections.push(connection);
    const decoder = new FrameDecoder(SERVER_MAX_LENGTH_DIGITS);
    socket.on('data', (chunk: Buffer) => {
      if (connection.closed) return;
      let bodies: string[];
      try {
        bodies = decoder.push(chunk);
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
        this.disconnect(connection, `invalid frame: ${err.message}`, 'destroy');
        return;
      }
      for (const body of bodies) {
        this.frames.push({ direction: 'from-app', connection: connection.id, body });
        if (this.holding) this.held.push({ connection, body });
        else this.onFrame(connection, body);
        if (connection.closed) return;
      }
      this.signal.changed();
    });
    // A peer reset is an ordinary way for an app to go; the close handler does the bookkeeping.
    socket.on('error', () => undefined);
    socket.on('close', () => this.disconnect(connection, 'closed by the app', 'none'));
    this.signal.changed();
  }

  /**
   * Forget a connection. 'end' lets queued frames (a final NO reply) flush first; 'destroy' cuts
   * at once; 'none' is for a socket that already closed.
   */
  private disconnect(connection: AppConnection, reason: string | undefined, how: 'end' | 'destroy' | 'none'): void {
    if (!connection.closed) {
      connection.closed = true;
      connection.closeReason = reason;
      this.routes.removeConnection(connection);
    }
    if (how === 'end') connection.socket.end();
    if (how === 'destroy') connection.socket.destroy();
    this.signal.changed();
  }

  private send(connection: AppConnection, body: string): void {
    if (connection.closed) return;
    this.frames.push({ direction: 'to-app', connection: connection.id, body });
    connection.socket.write(encodeFrame(body));
  }

  private reply(connection: AppConnection, msgId: string, ...fields: string[]): void {
    this.send(connection, [randomUUID(), 'response', msgId, ...fields].join('|'));
  }

  /**
   * `response|<rid>|OK|application|<bytes>|<proto>|<addr>|<port>|<time>|<ids…>|Msg sent:|` + CRLF +
   * the complete message as sent; `ids` is `txnId, dialogId, ''` for a response, `txnId` for a request.
   */
  private echoSent(connection: AppConnection, msgId: string, full: SipMessage, ids: string[]): void {
    const raw = full.toString();
    const fields = [
      randomUUID(), 'response', msgId, 'OK', 'application', String(Buffer.byteLength(raw)), 'udp',
      this.networkAddress.address, String(this.networkAddress.port), stackTime(), ...ids, 'Msg sent:',
    ];
    this.send(connection, `${fields.join('|')}|${CRLF}${raw}`);
  }

  private onFrame(connection: AppConnection, body: string): void {
    const crlf = body.indexOf(CRLF);
    const leader = crlf === -1 ? body : body.slice(0, crlf);
    const raw = crlf === -1 ? '' : body.slice(crlf + 2);
    const tokens = leader.split('|');
    const msgId = tokens[0] ?? '';
    const type = tokens[1] ?? '';
    switch (type) {
      case 'authenticate': {
        connection.tags = (tokens[3] ?? '').split(',').filter((t) => t !== '');
        if (tokens[2] !== this.secret) {
          this.reply(connection, msgId, 'NO', 'incorrect secret');
          this.disconnect(connection, 'incorrect secret', 'end');
          return;
        }
        connection.authenticated = true;
        this.reply(connection, msgId, 'OK', this.hostports, this.version, this.hostports);
        return;
      }
      case 'route': {
        const verb = tokens[2] ?? '';
        connection.routes.add(verb);
        this.routes.add(verb, connection);
        this.reply(connection, msgId, 'OK');
        return;
      }
      case 'remove_route': {
        // drachtio-server erases every route of this connection, whatever verb is named.
        connection.routes.clear();
        this.routes.removeConnection(connection);
        this.reply(connection, msgId, 'OK');
        return;
      }
      case 'ping':
        this.reply(connection, msgId, 'OK', 'pong');
        return;
      case 'sip':
        this.onSip(connection, msgId, tokens[2] ?? '', tokens[3] ?? '', raw);
        return;
      default:
        this.reply(connection, msgId, 'NO', 'Unknown message type');
        this.disconnect(connection, `unknown message type '${type}'`, 'end');
    }
  }

  private onSip(connection: AppConnection, msgId: string, txnId: string, dialogId: string, raw: string): void {
    let minimal: SipMessage;
    try {
      minimal = SipMessage.parse(raw);
    } catch (err) {
      this.reply(connection, msgId, 'NOK', `Server error: ${(err as Error).message}`);
      return;
    }
    if (!minimal.isRequest) {
      if (txnId === '') {
        this.reply(connection, msgId, 'NO', 'transaction id missing');
        this.disconnect(connection, 'sip response without a transaction id', 'end');
        return;
      }
      this.appResponds(connection, msgId, txnId, minimal);
    } else if (dialogId !== '') {
      this.appRequestInDialog(connection, msgId, dialogId, minimal);
    } else if (txnId !== '') {
      // Only a CANCEL of an app's own INVITE travels with a transaction id; those are not simulated.
      this.reply(connection, msgId, 'NOK', `unable to cancel unknown transaction id: ${txnId}`);
    } else {
      const dialog = [...this.dialogs.values()].find((d) => d.callId === minimal.callId);
      if (dialog) this.appRequestInDialog(connection, msgId, dialog.id, minimal);
      else this.appRequestOutOfDialog(connection, msgId, minimal);
    }
  }

  private appResponds(connection: AppConnection, msgId: string, txnId: string, minimal: SipMessage): void {
    const pending = this.serverTxns.get(txnId);
    if (!pending) {
      const text = minimal.method === 'CANCEL'
        ? '200 OK to incoming CANCEL is automatically generated by the stack'
        : 'Response not sent due to unknown transaction';
      this.reply(connection, msgId, 'NOK', text);
      return;
    }
    const { txn } = pending;
    const toTag = chosenToTag(minimal, pending.toTag);
    pending.toTag = toTag;
    const full = completeAppResponse(txn.request, minimal, toTag, this.serverContact);
    txn.responses.push(full);
    this.logToNetwork('application', full);
    const status = full.status;
    if (status >= 200) {
      this.serverTxns.delete(txnId);
      if (txn instanceof InviteTransaction && !txn.dialog && status < 300) this.createDialog(txn, full, connection);
    }
    this.echoSent(connection, msgId, full, [txnId, txn.dialogId, '']);
  }

  private createDialog(invite: InviteTransaction, answer: SipMessage, owner: AppConnection): void {
    const network = invite.request.get('From')!;
    const app = answer.get('To')!;
    const dialog = new SimDialog(
      invite.dialogId,
      invite.request.callId,
      { nameAddr: network, tag: tagOf(network)!, contact: uriOf(invite.request.get('Contact') ?? network) },
      { nameAddr: app, tag: tagOf(app)!, contact: uriOf(answer.get('Contact')!) },
      owner,
      invite.request.cseq,
    );
    invite.dialog = dialog;
    this.dialogs.set(dialog.id, dialog);
  }

  private appRequestInDialog(connection: AppConnection, msgId: string, dialogId: string, minimal: SipMessage): void {
    const dialog = this.dialogs.get(dialogId);
    const method = minimal.method;
    if (!dialog) {
      const why = method === 'ACK'
        ? 'ACK for non-success final response is automatically generated by server'
        : 'unable to find dialog for dialog id provided';
      this.reply(connection, msgId, 'NOK', `Server error: ${why}`);
      return;
    }
    let cseq: number;
    if (method === 'ACK') cseq = dialog.appInviteCSeq;
    else {
      cseq = ++dialog.appCSeq;
      if (method === 'INVITE') dialog.appInviteCSeq = cseq;
    }
    const full = completeAppInDialogRequest(dialog, minimal, cseq, this.sipAddress);
    this.sendApp(connection, msgId, full, dialog);
  }

  private appRequestOutOfDialog(connection: AppConnection, msgId: string, minimal: SipMessage): void {
    this.sendApp(connection, msgId, completeAppRequest(minimal, this.sipAddress, this.serverContact), undefined);
  }

  /** Echo an app's request as sent; every one but ACK opens a client transaction. */
  private sendApp(connection: AppConnection, msgId: string, full: SipMessage, dialog: SimDialog | undefined): void {
    const txnId = randomUUID();
    this.logToNetwork('application', full);
    if (full.method !== 'ACK') {
      const request = new AppRequest(txnId, full, connection, dialog);
      this.clientTxns.set(txnId, request);
      this.appRequests.push(request);
    }
    // A sent request's echo has `Msg sent:` where a response's echo has the dialog id.
    this.echoSent(connection, msgId, full, [txnId]);
  }

  // ───────────────────────────── helpers ─────────────────────────────

  /** A new out-of-dialog request carries the address it arrived on (srf's `req.receivedOn`). */
  private deliverNew(txn: NetworkTransaction, app: AppConnection): void {
    this.serverTxns.set(txn.txnId, { txn, toTag: randomToken() });
    this.deliverSip(app, txn.txnId, '', txn.request, this.sipAddress);
  }

  private deliverSip(app: AppConnection, txnId: string, dialogId: string, message: SipMessage, receivedOn?: HostPort): void {
    const raw = message.toString();
    const fields = [
      randomUUID(), 'sip', 'network', String(Buffer.byteLength(raw)), 'udp', this.networkAddress.address,
      String(this.networkAddress.port), stackTime(), txnId, dialogId,
    ];
    if (receivedOn) fields.push(receivedOn.address, String(receivedOn.port));
    this.send(app, `${fields.join('|')}|${CRLF}${raw}`);
    this.sipLog.push({ direction: 'to-app', source: 'network', message });
  }

  /** A response the server's SIP stack makes on its own (100 Trying, 487, 503, 481). */
  private stackResponse(txn: NetworkTransaction, status: number, toTag = randomToken()): void {
    const response = responseTo(txn.request, status, { toTag });
    txn.responses.push(response);
    this.logToNetwork('stack', response);
  }

  private endDialog(dialog: SimDialog): void {
    dialog.state = 'terminated';
    this.dialogs.delete(dialog.id);
  }

  private logToNetwork(source: SipRecord['source'], message: SipMessage): void {
    this.sipLog.push({ direction: 'to-network', source, message });
  }
}
