/**
 * The call core's view of the caller's media: a WebSocket audio fork (Twilio, mod_audio_fork, …)
 * or, later, the built-in RTP endpoint. Audio crosses this port as PCM16 mono at the leg's rate;
 * the leg encodes it for the wire (mu-law, A-law, L16).
 */
export interface MediaLeg {
  /** Rate of the PCM this leg delivers and accepts (8000 for mu-law forks, 8000/16000 for L16). */
  readonly sampleRateHz: number;
  /**
   * Play one 20 ms frame to the caller. The call paces frames; the leg sends immediately. The
   * frame is a view of the call's playout queue, reused once this returns: a leg encodes it
   * (G.711, base64) or copies it before returning, never hands the view itself to a socket.
   */
  sendAudio(frame: Int16Array): void;
  /** Barge-in: make the far end drop whatever it has queued (Twilio `clear`, `killAudio`, …). */
  clear(): void;
  /**
   * Ask the far end to report when playout reaches this point (Twilio/jambonz `mark`). Legs whose
   * platform has no marks leave it out; the call then estimates what was heard from its own pacing.
   */
  mark?(name: string): void;
  /**
   * Hand the caller to `target` (a SIP URI or number): SIP REFER for calls we answered, a platform
   * action for forks that support one (Twilio's REST API). Resolves once the transfer is known to
   * have succeeded or failed, which may be after the call's own time limit (`timeoutMs`) has
   * passed: a late success still ends the call as transferred. Legs that cannot transfer leave
   * it out.
   */
  transfer?(target: string, opts: TransferOptions): Promise<TransferOutcome>;
  /** End the media leg (close the socket / stop RTP, send BYE). Idempotent. */
  close(reason: string): void;
}

export interface TransferOptions {
  /** The agent's `transfer.timeoutMs`: how long the call waits for an outcome (e.g. ring time). */
  timeoutMs: number;
}

export type TransferOutcome =
  | { ok: true }
  /** `status`: the SIP status the transfer target or the caller's side answered, when known. */
  | { ok: false; reason: string; status?: number };

export type MediaEvent =
  /** `pcm` is only valid while the event is handled: a leg may reuse it for its next frame. */
  | { type: 'audio'; pcm: Int16Array }
  | { type: 'dtmf'; digit: string }
  /** The far end reports it has played audio up to a mark we placed. */
  | { type: 'mark'; name: string }
  /**
   * The far end put the call on hold (true) or took it off (false): no caller audio is expected
   * meanwhile, so silence is not media inactivity.
   */
  | { type: 'hold'; held: boolean }
  /** The far end ended the stream (stop message or socket closed). */
  | { type: 'hangup'; detail: string }
  /** The far end sent something we cannot accept; the leg is closing. */
  | { type: 'protocol_error'; detail: string }
  /**
   * Our own side of the media failed (the RTP I/O thread died): the leg can neither send nor
   * receive audio any more, and is already closed.
   */
  | { type: 'media_failed'; detail: string };

/** What a media adapter knows about a call when its stream starts. */
export interface CallIdentity {
  /** The platform's id for the call (Twilio CallSid, jambonz callSid, SIP Call-ID, …). */
  externalId: string;
  /** The number that was dialed: selects the agent. */
  to: string;
  /** The caller's number, when the platform sends it. */
  from?: string;
  /** Which media path this came through, for logs and records. */
  transport: 'twilio' | 'telnyx' | 'audio_fork' | 'asterisk' | 'rtp';
  /** Free-form attributes the platform passed (custom parameters, metadata). */
  attributes: Record<string, string>;
}

/**
 * Asked by a media adapter once a stream has identified its call (start / metadata message).
 * Accepting returns the sink for that leg's events; refusing makes the adapter close the stream
 * with the reason (unknown number, capacity, draining, model quota). The answer is a promise when
 * a cluster must be asked for a model-session seat; media arriving meanwhile is not the call's yet.
 */
export type MediaAdmission = (identity: CallIdentity, leg: MediaLeg) => AdmissionResult | Promise<AdmissionResult>;

export type AdmissionResult =
  | { accepted: true; onEvent: (event: MediaEvent) => void }
  | { accepted: false; reason: string };
