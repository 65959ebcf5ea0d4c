/**
 * What the drachtio-server simulator remembers and hands to tests: app connections, transactions
 * started by the network (the caller side), transactions started by an app, dialogs, and the
 * frame / SIP logs. Handles only wait; the simulator itself changes them.
 */
import type { Socket } from 'node:net';
import type { SipMessage } from './sip-message.js';
import type { ChangeSignal } from './wait-until.js';

/** One TCP connection from an app (a drachtio-srf instance in inbound mode). */
export class AppConnection {
  authenticated = false;
  tags: string[] = [];
  /** Lower-case verbs the app asked for with `route|<verb>`. */
  readonly routes = new Set<string>();
  closed = false;
  /** Why the simulator ended the connection ('incorrect secret', 'dropped', …), if it did. */
  closeReason: string | undefined;

  constructor(
    readonly id: number,
    readonly socket: Socket,
  ) {}
}

/** A request the network sent (delivered to an app, or answered by the stack itself). */
export class NetworkTransaction {
  /** Complete responses as they went to the network, stack-generated ones included, in order. */
  readonly responses: SipMessage[] = [];

  constructor(
    readonly txnId: string,
    readonly request: SipMessage,
    /** The app it was delivered to; undefined when no app took it (e.g. 503 for no route). */
    readonly app: AppConnection | undefined,
    /** drachtio dialog id the server attached ('' for out-of-dialog non-INVITE requests). */
    readonly dialogId: string,
    protected readonly signal: ChangeSignal,
  ) {}

  get method(): string {
    return this.request.method;
  }

  get finalStatus(): number | undefined {
    return this.responses.find((r) => r.status >= 200)?.status;
  }

  /** The first response with `status` (the first one of any status when omitted). */
  response(status?: number): Promise<SipMessage> {
    return this.signal.until(
      () => this.responses.find((r) => status === undefined || r.status === status),
      `a ${status ?? 'any'} response to ${this.method} (txn ${this.txnId})`,
    );
  }

  finalResponse(): Promise<SipMessage> {
    return this.signal.until(
      () => this.responses.find((r) => r.status >= 200),
      `a final response to ${this.method} (txn ${this.txnId})`,
    );
  }
}

/** An INVITE from the network: a new call, or a re-INVITE inside a dialog. */
export class InviteTransaction extends NetworkTransaction {
  /** Set when the app answered 2xx (a new dialog) — or the existing dialog for a re-INVITE. */
  dialog: SimDialog | undefined;
  cancelled = false;

  /** The dialog once answered; rejects when the final response is not 2xx. */
  async answered(): Promise<SimDialog> {
    const final = await this.finalResponse();
    if (final.status >= 300 || !this.dialog) {
      throw new Error(`INVITE ${this.txnId} was not answered: ${final.startLine}`);
    }
    return this.dialog;
  }
}

/** One side of a dialog: its From/To value (with tag) and its Contact URI. */
export interface DialogParty {
  nameAddr: string;
  tag: string;
  contact: string;
}

/**
 * An INVITE dialog between the network party (the caller) and the app that answered it.
 * Each side keeps its own CSeq space.
 */
export class SimDialog {
  state: 'confirmed' | 'terminated' = 'confirmed';
  networkCSeq: number;
  /** CSeq of the last INVITE each side sent (an ACK repeats it). */
  networkInviteCSeq: number;
  appCSeq = 0;
  appInviteCSeq = 0;

  constructor(
    /** drachtio's dialog id: `<Call-ID>;from-tag=<caller's From tag>`. */
    readonly id: string,
    readonly callId: string,
    readonly network: DialogParty,
    readonly app: DialogParty,
    readonly owner: AppConnection,
    inviteCSeq: number,
  ) {
    this.networkCSeq = inviteCSeq;
    this.networkInviteCSeq = inviteCSeq;
  }
}

/** A request an app sent (in or out of a dialog), waiting for the test to answer it. */
export class AppRequest {
  /** Responses the network sent back (through `respondTo`), in order. */
  readonly responses: SipMessage[] = [];

  constructor(
    readonly txnId: string,
    /** The complete request as the server sent it to the network. */
    readonly message: SipMessage,
    readonly app: AppConnection,
    readonly dialog: SimDialog | undefined,
  ) {}

  get method(): string {
    return this.message.method;
  }

  get finalStatus(): number | undefined {
    return this.responses.find((r) => r.status >= 200)?.status;
  }
}

export interface FrameRecord {
  direction: 'from-app' | 'to-app';
  connection: number;
  body: string;
}

/** Every SIP message the simulator handled, as it appeared on that side of the server. */
export interface SipRecord {
  /** to-app: delivered in a `sip` frame; to-network: sent towards the caller side. */
  direction: 'to-app' | 'to-network';
  /** network: from the far end; application: built from an app's message; stack: made by the server. */
  source: 'network' | 'application' | 'stack';
  message: SipMessage;
}
