/**
 * What the load driver observed while the benchmark was measuring: latency samples for both
 * directions and traffic counters. Samples outside measurement windows (call setup, warm-up)
 * are not kept.
 */
import type { CollectResult, LoadCounters } from './load-protocol.js';

function zeroCounters(): LoadCounters {
  return {
    framesSent: 0,
    uplinkMessagesAtModel: 0,
    uplinkUnmatched: 0,
    deltasSent: 0,
    responsesStarted: 0,
    responsesUnheard: 0,
    audioMessagesAtCaller: 0,
    scheduleLateRuns: 0,
    scheduleMaxLateMs: 0,
  };
}

export class LatencyLog {
  #measuring = false;
  #since = 0;
  #measuredMs = 0;
  #up: number[] = [];
  #down: number[] = [];
  #counters = zeroCounters();

  get measuring(): boolean {
    return this.#measuring;
  }

  setMeasuring(on: boolean, nowMs = performance.now()): void {
    if (on === this.#measuring) return;
    if (on) this.#since = nowMs;
    else this.#measuredMs += nowMs - this.#since;
    this.#measuring = on;
  }

  up(latencyMs: number): void {
    if (this.#measuring) this.#up.push(latencyMs);
  }

  down(latencyMs: number): void {
    if (this.#measuring) this.#down.push(latencyMs);
  }

  count(counter: Exclude<keyof LoadCounters, 'scheduleMaxLateMs'>, by = 1): void {
    if (this.#measuring) this.#counters[counter] += by;
  }

  noteScheduleLateness(maxLateMs: number): void {
    this.#counters.scheduleMaxLateMs = Math.max(this.#counters.scheduleMaxLateMs, maxLateMs);
  }

  /** Everything recorded since the last collect; starts afresh. */
  collect(nowMs = performance.now()): CollectResult {
    const measuredMs = this.#measuredMs + (this.#measuring ? nowMs - this.#since : 0);
    const result: CollectResult = {
      upLatenciesMs: this.#up,
      downLatenciesMs: this.#down,
      counters: this.#counters,
      measuredMs,
    };
    this.#up = [];
    this.#down = [];
    this.#counters = zeroCounters();
    this.#measuredMs = 0;
    if (this.#measuring) this.#since = nowMs;
    return result;
  }
}
