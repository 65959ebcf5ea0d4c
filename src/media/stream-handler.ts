/**
 * What the fork server needs from a dialect: something that takes one connection's frames.
 * The handler owns the dialect's state machine; the session owns the call-facing rules.
 */
import type { ForkLeg, LegWire, PlatformTransfer } from './fork-leg.js';
import type { CallIdentity } from '../call/media-leg.js';
import type { InboundFrame } from './protocols/violation.js';
import type { StreamSession } from './stream-session.js';

export interface StreamHandler {
  onFrame(frame: InboundFrame): void;
}

export interface StreamHandlerContext {
  session: StreamSession;
  /** A leg on this connection's socket, with the server's backpressure budget and counters. */
  createLeg(sampleRateHz: number, wire: LegWire, transfer?: PlatformTransfer): ForkLeg;
  /** How the platform itself transfers this call, when the route has a way (Twilio REST). */
  transferFor?: (identity: CallIdentity) => PlatformTransfer | undefined;
}

export type StreamHandlerFactory = (ctx: StreamHandlerContext) => StreamHandler;
