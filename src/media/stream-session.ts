/**
 * One fork connection's link to its call: admission, event delivery, and the rules every dialect
 * shares — exactly one `hangup`, a `protocol_error` before the socket closes on bad input, nothing
 * at all after the call closed the leg, and a close code that says what went wrong.
 */
import type { Logger } from 'pino';
import type { AdmissionResult, CallIdentity, MediaAdmission, MediaEvent } from '../call/media-leg.js';
import { CloseCode, closeCodeFor, closeReason } from './close-codes.js';
import type { ForkLeg } from './fork-leg.js';
import type { ProtocolViolation } from './protocols/violation.js';
import type { RejectReason } from './fork-counts.js';
import type { LogSampler } from './log-sampler.js';

export interface SessionSocket {
  close(code: number, reason: string): void;
}

export interface StreamSessionDeps {
  socket: SessionSocket;
  admit: MediaAdmission;
  logger: Logger;
  onReject(reason: RejectReason): void;
  /** Thins out lines an outsider can cause by the thousand (streams that never start). */
  sampler?: LogSampler;
}

export class StreamSession {
  #deps: StreamSessionDeps;
  #log: Logger;
  #sink: ((event: MediaEvent) => void) | undefined;
  #leg: ForkLeg | undefined;
  #identified = false;
  /** We closed (or are closing) the socket: later frames are noise from the closing handshake. */
  #closing = false;
  /** The call has been told the stream ended (hangup or protocol_error). */
  #ended = false;

  constructor(deps: StreamSessionDeps) {
    this.#deps = deps;
    this.#log = deps.logger;
  }

  get log(): Logger {
    return this.#log;
  }

  /** A start / metadata message arrived (even if it is then refused): the start timeout is off. */
  get identified(): boolean {
    return this.#identified;
  }

  /** Frames arriving now should be ignored. */
  get closing(): boolean {
    return this.#closing || this.#leg?.closed === true;
  }

  /**
   * Offer the call to the core. The socket is closing when it is refused. A cluster's answer may
   * take a database round trip; frames arriving meanwhile are dropped (the call has not begun).
   */
  admit(identity: CallIdentity, leg: ForkLeg): void {
    this.#identified = true;
    this.#log = this.#log.child({ externalId: identity.externalId });
    // Numbers identify people: debug only.
    this.#log.debug({ to: identity.to, from: identity.from }, 'stream identified');
    let result: AdmissionResult | Promise<AdmissionResult>;
    try {
      result = this.#deps.admit(identity, leg);
    } catch (err) {
      this.#admissionFailed(err);
      return;
    }
    if ('then' in result) {
      result.then(
        (settled) => this.#admitted(settled, identity, leg),
        (err: unknown) => this.#admissionFailed(err),
      );
    } else {
      this.#admitted(result, identity, leg);
    }
  }

  #admissionFailed(err: unknown): void {
    this.#log.error({ err }, 'admission failed');
    this.#closeSocket(CloseCode.internalError, 'admission failed');
  }

  #admitted(result: AdmissionResult, identity: CallIdentity, leg: ForkLeg): void {
    if (!result.accepted) {
      this.#log.info({ reason: result.reason }, 'stream refused');
      this.#deps.onReject('admission_refused');
      this.#closeSocket(result.reason === 'model_quota' ? CloseCode.quotaExceeded : CloseCode.refused, result.reason);
      return;
    }
    this.#sink = result.onEvent;
    this.#leg = leg;
    this.#log.info({ transport: identity.transport, sampleRateHz: leg.sampleRateHz }, 'stream admitted');
    if (this.#ended || this.#closing) {
      // The socket closed (or broke a rule) while the seat was being taken: the call ends at once.
      this.#ended = true;
      leg.detach();
      result.onEvent({ type: 'hangup', detail: 'media socket closed during admission' });
    }
  }

  deliver(event: MediaEvent): void {
    if (this.#sink === undefined || this.#ended || this.#leg?.closed === true) return;
    try {
      this.#sink(event);
    } catch (err) {
      // The call's bug must not take the socket (or the process) down with it.
      this.#log.error({ err, event: event.type }, 'media event handler threw');
    }
  }

  /** The peer ended the stream: stop message, or the socket closed without one. */
  hangup(detail: string): void {
    if (this.#ended) return;
    const transfer = this.#leg?.transferInFlight;
    if (transfer !== undefined && this.#sink !== undefined) {
      // The platform is moving the call: if it succeeds the call ends as transferred by itself;
      // only a failed transfer leaves this as the caller's hang-up.
      this.#ended = true;
      const sink = this.#sink;
      void transfer.then((outcome) => {
        if (outcome.ok) return;
        try {
          sink({ type: 'hangup', detail });
        } catch (err) {
          this.#log.error({ err }, 'media event handler threw');
        }
      });
      return;
    }
    this.deliver({ type: 'hangup', detail });
    this.#ended = true;
  }

  /** Bad input: tell the call, then close this one connection with a code that explains it. */
  fail(v: ProtocolViolation): void {
    if (this.closing) return;
    this.#log.warn({ kind: v.kind, detail: v.detail }, 'media protocol violation');
    this.#deps.onReject('protocol_error');
    this.#endWithProtocolError(v.detail);
    this.#closeSocket(closeCodeFor(v.kind), v.detail);
  }

  /** ws already failed the socket (oversized frame, invalid UTF-8) and is closing it itself. */
  failedByTransport(detail: string): void {
    if (this.closing) return;
    this.#log.warn({ detail }, 'media frame rejected by the websocket layer');
    this.#deps.onReject('protocol_error');
    this.#endWithProtocolError(detail);
    this.#closing = true;
  }

  /** The start timeout fired. */
  timedOut(timeoutMs: number): void {
    if (this.closing || this.#identified) return;
    const sample = this.#deps.sampler?.take('start_timeout') ?? { write: true, suppressed: 0 };
    if (sample.write) this.#log.warn({ timeoutMs, suppressed: sample.suppressed }, 'no start message in time');
    this.#deps.onReject('start_timeout');
    this.#closeSocket(CloseCode.startTimeout, `no start message within ${timeoutMs} ms`);
  }

  /** The server is shutting down. */
  shutdown(): void {
    if (this.closing) return;
    this.hangup('bridge shutting down');
    this.#closeSocket(CloseCode.goingAway, 'bridge shutting down');
  }

  socketClosed(code: number): void {
    this.#closing = true;
    this.hangup(`media socket closed (${code})`);
    this.#leg?.detach();
  }

  #endWithProtocolError(detail: string): void {
    // Detach first: the call reacts by closing the leg, and that must not replace our close code.
    this.#leg?.detach();
    if (this.#sink !== undefined && !this.#ended) {
      this.#ended = true;
      try {
        this.#sink({ type: 'protocol_error', detail });
      } catch (err) {
        this.#log.error({ err }, 'media event handler threw');
      }
    }
  }

  #closeSocket(code: number, reason: string): void {
    this.#closing = true;
    this.#leg?.detach();
    this.#deps.socket.close(code, closeReason(reason));
  }
}
