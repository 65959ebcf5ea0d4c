/**
 * An INVITE, from admission to an answered call. Every refusal is a SIP status with a log line;
 * the model session is opened (by admitting the call) in parallel with sending the 200 OK, so the
 * answer does not wait for the model.
 *
 *   source not allowed → 403 · no Contact → 400 · unknown number → 404 · full → 486/503 ·
 *   draining → 503 · no SDP → 488 · malformed SDP → 400 · no PCMU/PCMA → 488 · no RTP port → 503 ·
 *   RTP thread held back after failed starts → 503 with Retry-After
 */
import type { Logger } from 'pino';
import type { CallIdentity, MediaAdmission } from '../call/media-leg.js';
import type { RejectReason } from '../call/registry.js';
import { assertNever } from '../call/end-reason.js';
import { RtpPortsExhaustedError } from './rtp/port-allocator.js';
import { RtpThreadUnavailableError } from './rtp/worker/worker-rtp.js';
import type { RtpStream, RtpStreams } from './rtp/rtp-stream.js';
import { SdpAnswerer } from './sdp/build-answer.js';
import { readOffer, type OfferRejection } from './sdp/read-offer.js';
import { SipCallLeg } from './sip-call-leg.js';
import type { SourceAllowList } from './source-allow-list.js';
import type { SipRequest, SipResponse, SrfApp } from './srf-shapes.js';

export interface InviteHandlerDeps {
  srf: SrfApp;
  /** Why a call to this number would be refused now, if it would. */
  refusal: (dialedNumber: string) => RejectReason | undefined;
  admit: MediaAdmission;
  allowList: SourceAllowList;
  busyStatus: 486 | 503;
  rtp: {
    advertisedAddress: string;
    streams: RtpStreams;
  };
  logger: Logger;
  /** Counts refusals by status, for metrics. */
  onRefused?: (status: number, reason: string) => void;
}

function offerStatus(reason: OfferRejection): number {
  switch (reason) {
    case 'malformed_sdp':
      return 400;
    case 'no_audio_stream':
    case 'no_acceptable_codec':
      return 488;
    default:
      return assertNever(reason, 'offer rejection');
  }
}

/** The number that was dialed: the request-URI's user part, else the To header's. */
export function dialedNumber(req: SipRequest): string {
  if (req.calledNumber) return req.calledNumber;
  const to = req.get('To') ?? '';
  return /sips?:([^@;>]+)@/.exec(to)?.[1] ?? '';
}

export function createInviteHandler(deps: InviteHandlerDeps): (req: SipRequest, res: SipResponse) => void {
  return (req, res) => {
    void handleInvite(deps, req, res).catch((err: unknown) => {
      deps.logger.error({ err, sipCallId: req.get('Call-ID') }, 'INVITE handling failed');
      if (!res.finalResponseSent) res.send(500);
    });
  };
}

async function handleInvite(deps: InviteHandlerDeps, req: SipRequest, res: SipResponse): Promise<void> {
  // Listen for CANCEL at once: it can arrive while we are still preparing the answer.
  let cancelled = false;
  req.on('cancel', () => (cancelled = true));

  const to = dialedNumber(req);
  // drachtio-srf requests carry the Call-ID only as a header (there is no callId property).
  const sipCallId = req.get('Call-ID') ?? '';
  const log = deps.logger.child({ sipCallId });
  const refuse = (status: number, reason: string, headers?: Record<string, string>): void => {
    log.warn({ status, reason, source: req.source_address, to }, 'INVITE refused');
    deps.onRefused?.(status, reason);
    res.send(status, headers ? { headers } : undefined);
  };

  if (!deps.allowList.allows(req.source_address)) return refuse(403, 'source_not_allowed');
  // drachtio-srf would answer an INVITE without Contact and then fail, leaving the caller
  // connected to nothing: refuse it before that can happen.
  if (!req.has('Contact')) return refuse(400, 'missing_contact');

  const refused = deps.refusal(to);
  if (refused !== undefined) {
    switch (refused) {
      case 'unknown_number':
        return refuse(404, refused);
      case 'capacity':
        return refuse(deps.busyStatus, refused);
      case 'draining':
        return refuse(503, refused, { 'Retry-After': '30' });
      case 'model_quota':
        return refuse(deps.busyStatus, refused);
      case 'seats_unavailable':
        return refuse(503, refused);
      default:
        return assertNever(refused, 'refusal');
    }
  }

  // An INVITE without an offer would need us to offer in the 200 and read the answer from the
  // ACK; no carrier we target does that for inbound calls, so refuse it plainly.
  if (req.body.trim() === '') return refuse(488, 'no_sdp_offer');
  const reading = readOffer(req.body);
  if (!reading.ok) return refuse(offerStatus(reading.reason), reading.reason);

  let rtp: RtpStream;
  try {
    rtp = await deps.rtp.streams.open({
      audio: reading.audio,
      onError: (err) => log.error({ err }, 'RTP event handler failed'),
    });
  } catch (err) {
    if (err instanceof RtpPortsExhaustedError) return refuse(503, 'rtp_ports_exhausted');
    if (err instanceof RtpThreadUnavailableError) {
      // Logged once per failed start by the thread's owner; here it is one refusal among many.
      return refuse(503, 'rtp_thread_unavailable', { 'Retry-After': String(Math.ceil(err.retryInMs / 1000)) });
    }
    // Ports held by other processes, or a bad bind address: the call cannot have media.
    log.error({ err }, 'RTP socket could not be opened');
    return refuse(503, 'rtp_bind_failed');
  }
  if (cancelled) {
    rtp.close('cancelled');
    log.info('INVITE cancelled before answer');
    return;
  }

  const answerer = new SdpAnswerer({ address: deps.rtp.advertisedAddress });
  const answer = answerer.answer(reading.offer, reading.audio, rtp.localPort);
  const leg = new SipCallLeg({ rtp, answerer, logger: log, dialed: to });
  const identity: CallIdentity = {
    externalId: sipCallId,
    to,
    ...(req.callingNumber ? { from: req.callingNumber } : {}),
    transport: 'rtp',
    attributes: { source: req.source_address, codec: reading.audio.codec },
  };
  const admission = await deps.admit(identity, leg);
  if (!admission.accepted) {
    // Admission can still refuse here (capacity taken between the check and now, the model quota).
    rtp.close('refused');
    const busy = admission.reason === 'capacity' || admission.reason === 'model_quota';
    return refuse(busy ? deps.busyStatus : 503, admission.reason);
  }
  leg.attach(admission.onEvent);
  if (cancelled) {
    // The CANCEL came while a model-session seat was being taken: the call ends before it began.
    log.info('INVITE cancelled before answer');
    leg.answerFailed('caller cancelled');
    return;
  }

  try {
    const dialog = await deps.srf.createUAS(req, res, { localSdp: answer });
    if (cancelled) {
      // The CANCEL crossed our 200 OK; drachtio took the 200 anyway: hang up cleanly.
      leg.bindDialog(dialog, req.body, answer);
      leg.cancelledAfterAnswer();
      return;
    }
    leg.bindDialog(dialog, req.body, answer);
    log.info({ to, codec: reading.audio.codec, rtpPort: rtp.localPort }, 'call answered');
  } catch (err) {
    // drachtio-srf rejects with a plain string when the server refused our 200 (a CANCEL won).
    const detail = err instanceof Error ? err.message : String(err);
    log.info({ detail, cancelled }, 'INVITE not answered');
    leg.answerFailed(cancelled ? 'caller cancelled' : `answer failed: ${detail}`);
  }
}
