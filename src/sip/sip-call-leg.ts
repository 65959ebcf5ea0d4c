/**
 * The caller's side of a call we answered over SIP: RTP media (an RtpStream) plus the SIP dialog.
 * To the call core it is one MediaLeg; here the dialog's events become media events (BYE →
 * hangup, INFO → digits, re-INVITE → hold) and the call's commands become SIP (close → BYE with
 * the end reason, transfer → REFER).
 */
import type { Logger } from 'pino';
import type { MediaEvent, MediaLeg, TransferOutcome } from '../call/media-leg.js';
import type { RtpStream } from './rtp/rtp-stream.js';
import { readOffer } from './sdp/read-offer.js';
import type { SdpAnswerer } from './sdp/build-answer.js';
import type { SipDialog, SipRequest, SipResponse } from './srf-shapes.js';
import { referredBy, referTarget, sipfragStatus } from './refer.js';

export interface SipCallLegDeps {
  rtp: RtpStream;
  answerer: SdpAnswerer;
  logger: Logger;
  /** The number the caller dialed: Referred-By names it, so the target sees who handed the call over. */
  dialed: string;
}

export class SipCallLeg implements MediaLeg {
  readonly sampleRateHz: number;
  readonly #deps: SipCallLegDeps;
  #sink: ((event: MediaEvent) => void) | undefined;
  #dialog: SipDialog | undefined;
  #remoteEnded = false;
  #closed = false;
  #closeReason: string | undefined;
  #held = false;
  #lastOffer: string | undefined;
  #lastAnswer: string | undefined;
  /**
   * The REFER under way: its final status settles it. It has no time limit of its own: the call
   * applies the agent's transfer.timeoutMs and still acts on a final NOTIFY that comes later.
   */
  #transferWatch: ((outcome: TransferOutcome) => void) | undefined;

  constructor(deps: SipCallLegDeps) {
    this.#deps = deps;
    this.sampleRateHz = deps.rtp.sampleRateHz;
  }

  /** The call's event sink, once admitted. RTP audio and digits flow to it from then on. */
  attach(sink: (event: MediaEvent) => void): void {
    this.#sink = sink;
    this.#deps.rtp.attach(sink);
  }

  /** The INVITE was answered: from now on the dialog's events belong to this call. */
  bindDialog(dialog: SipDialog, offer: string, answer: string): void {
    this.#dialog = dialog;
    this.#lastOffer = offer;
    this.#lastAnswer = answer;
    if (this.#closed) {
      // The call ended while the 200 OK was on its way: hang up the dialog we just created.
      this.#bye(this.#closeReason ?? 'ended before answer');
      return;
    }
    if (!dialog.connected) {
      // The BYE was processed in the same read as our 200's echo, before this ran.
      this.#remoteEnded = true;
      this.#emit({ type: 'hangup', detail: 'caller sent BYE' });
      return;
    }
    dialog.on('destroy', () => {
      this.#remoteEnded = true;
      this.#emit({ type: 'hangup', detail: 'caller sent BYE' });
    });
    dialog.on('modify', (req: SipRequest, res: SipResponse) => this.#onReInvite(req, res));
    dialog.on('info', (req: SipRequest, res: SipResponse) => this.#onInfo(req, res));
    dialog.on('notify', (req: SipRequest, res: SipResponse) => this.#onNotify(req, res));
  }

  /** True once the INVITE has been answered and the dialog bound to this leg. */
  get answered(): boolean {
    return this.#dialog !== undefined;
  }

  /** The answer never reached a dialog (CANCEL, or drachtio refused the 200): the call is over. */
  answerFailed(detail: string): void {
    this.#remoteEnded = true;
    this.#emit({ type: 'hangup', detail });
  }

  /** The caller cancelled but our 200 OK won the race: end the call, which sends BYE. */
  cancelledAfterAnswer(): void {
    this.#emit({ type: 'hangup', detail: 'caller cancelled' });
  }

  sendAudio(frame: Int16Array): void {
    this.#deps.rtp.sendAudio(frame);
  }

  clear(): void {
    this.#deps.rtp.clear();
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    this.#settleTransfer({ ok: false, reason: 'the call ended' });
    this.#deps.rtp.close(reason);
    if (this.#dialog && !this.#remoteEnded) this.#bye(reason);
  }

  async transfer(target: string): Promise<TransferOutcome> {
    const dialog = this.#dialog;
    if (!dialog || this.#closed || this.#remoteEnded) return { ok: false, reason: 'call is not connected' };
    const referTo = referTarget(target, dialog.remote.uri);
    if (!referTo) return { ok: false, reason: `not a SIP URI or phone number: ${target}` };
    const log = this.#deps.logger;
    // A newer REFER replaces one still waiting for its outcome (RFC 3515 allows several; we follow one).
    this.#settleTransfer({ ok: false, reason: 'replaced by a newer transfer' });
    // Listen for the target's progress before sending: NOTIFY can overtake the 202 on the wire.
    const finalOutcome = new Promise<TransferOutcome>((resolve) => {
      this.#transferWatch = resolve;
    });
    try {
      const res = await dialog.request({
        method: 'REFER',
        headers: { 'Refer-To': `<${referTo}>`, 'Referred-By': `<${referredBy(this.#deps.dialed, dialog.local.uri)}>` },
      });
      // drachtio-srf resolves with the first response; a provisional one means "still working".
      if (res.status >= 300) {
        log.warn({ status: res.status }, 'REFER refused');
        this.#settleTransfer({ ok: false, reason: 'transfer refused', status: res.status });
      }
    } catch (err) {
      this.#settleTransfer({ ok: false, reason: `REFER failed: ${err instanceof Error ? err.message : String(err)}` });
    }
    const outcome = await finalOutcome;
    if (outcome.ok) log.info('transfer completed');
    return outcome;
  }

  #settleTransfer(outcome: TransferOutcome): void {
    const watch = this.#transferWatch;
    this.#transferWatch = undefined;
    watch?.(outcome);
  }

  #bye(reason: string): void {
    const dialog = this.#dialog;
    if (!dialog) return;
    // Q.850 cause 16 (normal clearing) with our end reason, so the carrier's CDR says why.
    const headers = { Reason: `Q.850;cause=16;text="${reason.replace(/"/g, '')}"` };
    dialog.destroy({ headers }).catch((err: unknown) => {
      this.#deps.logger.warn({ detail: err instanceof Error ? err.message : String(err) }, 'BYE failed');
    });
  }

  #onReInvite(req: SipRequest, res: SipResponse): void {
    if (req.body === this.#lastOffer && this.#lastAnswer) {
      // A session refresh: nothing changed, so neither does our answer (RFC 3264 §8).
      res.send(200, { body: this.#lastAnswer });
      return;
    }
    const reading = readOffer(req.body);
    if (!reading.ok) {
      this.#deps.logger.warn({ reason: reading.reason, detail: reading.detail }, 're-INVITE offer refused');
      res.send(reading.reason === 'malformed_sdp' ? 400 : 488);
      return;
    }
    const rtp = this.#deps.rtp;
    rtp.update(reading.audio);
    const answer = this.#deps.answerer.answer(reading.offer, reading.audio, rtp.localPort);
    this.#lastOffer = req.body;
    this.#lastAnswer = answer;
    res.send(200, { body: answer });
    // Any direction but sendrecv is a hold (sendonly/inactive from the caller, or c=0.0.0.0):
    // the caller is not listening, and may not be sending either.
    const held = reading.audio.direction !== 'sendrecv';
    if (held !== this.#held) {
      this.#held = held;
      this.#emit({ type: 'hold', held });
    }
  }

  #onInfo(req: SipRequest, res: SipResponse): void {
    res.send(200);
    const type = req.get('Content-Type') ?? '';
    if (!/application\/dtmf(-relay)?/i.test(type)) return;
    const digit = /Signal\s*=\s*([0-9*#A-D])/i.exec(req.body)?.[1] ?? (/^\s*([0-9*#A-D])\s*$/i.exec(req.body)?.[1]);
    if (digit) this.#emit({ type: 'dtmf', digit: digit.toUpperCase() });
  }

  #onNotify(req: SipRequest, res: SipResponse): void {
    res.send(200);
    const status = sipfragStatus(req.body);
    if (status === undefined || status < 200) return;
    if (status < 300) this.#settleTransfer({ ok: true });
    else this.#settleTransfer({ ok: false, reason: 'transfer target did not answer', status });
  }

  #emit(event: MediaEvent): void {
    this.#sink?.(event);
  }
}
