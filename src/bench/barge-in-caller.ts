/**
 * One caller of `npm run bench:sip`'s barge-in measurement, as the RTP peers child plays it: a
 * question (1 s of tone), silence until the agent's answer has been arriving for a while, then a
 * 1.5 s tone over the answer. It decides what each of its 20 ms packets carries and notes every
 * packet the bridge sent it; the benchmark compares those with when the bridge handled the
 * model's speech_started.
 */
import { mulawEncode } from '../audio/g711.js';
import type { ConversationReport } from './rtp-peers-protocol.js';

const FRAME_SAMPLES = 160;
const QUESTION_FRAMES = 50;
const BARGE_IN_FRAMES = 75;

/** 1 kHz at 8 kHz: 8 samples a period, so every 20 ms frame is the same; −12 dBFS, far above the VAD threshold. */
export const TONE_PAYLOAD = mulawEncode(
  Int16Array.from({ length: FRAME_SAMPLES }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * i) / 8))),
);

type Stage =
  | { kind: 'asking'; framesLeft: number }
  | { kind: 'waiting' }
  | { kind: 'listening'; bargeInAtMs: number }
  | { kind: 'barging'; framesLeft: number }
  | { kind: 'done' };

export class BargeInCaller {
  #stage: Stage = { kind: 'asking', framesLeft: QUESTION_FRAMES };
  readonly #report: ConversationReport;

  constructor(
    index: number,
    private readonly bargeInAfterAgentMs: number,
  ) {
    this.#report = { index, answerStartedAtMs: null, bargeInStartedAtMs: null, bargeInEndedAtMs: null, packets: [] };
  }

  get report(): ConversationReport {
    return this.#report;
  }

  /** True when this 20 ms packet carries the tone (else silence). `nowMs`: epoch milliseconds. */
  speaks(nowMs: number): boolean {
    const stage = this.#stage;
    switch (stage.kind) {
      case 'asking':
        if (--stage.framesLeft === 0) this.#stage = { kind: 'waiting' };
        return true;
      case 'waiting':
      case 'done':
        return false;
      case 'listening':
        if (nowMs < stage.bargeInAtMs) return false;
        this.#report.bargeInStartedAtMs = nowMs;
        this.#stage = { kind: 'barging', framesLeft: BARGE_IN_FRAMES - 1 };
        return true;
      case 'barging':
        if (--stage.framesLeft === 0) {
          this.#report.bargeInEndedAtMs = nowMs;
          this.#stage = { kind: 'done' };
        }
        return true;
    }
  }

  /** A packet from the bridge arrived at `atMs` (epoch milliseconds); `agent`: it carried agent audio. */
  received(atMs: number, timestamp: number, agent: boolean): void {
    this.#report.packets.push([atMs, timestamp, agent]);
    // Agent audio while asking is the tail of an earlier answer, not the answer to this question.
    if (agent && this.#stage.kind === 'waiting') {
      this.#report.answerStartedAtMs = atMs;
      this.#stage = { kind: 'listening', bargeInAtMs: atMs + this.bargeInAfterAgentMs };
    }
  }
}
