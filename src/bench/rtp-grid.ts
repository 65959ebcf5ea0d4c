/**
 * How far each received RTP packet is from where a perfect 20 ms sender would have put it.
 *
 * Per stream, the first packet received in the window is the origin, and packet k belongs at
 * origin + slot_k × 20 ms, where slot_k comes from its RTP timestamp (the bridge derives
 * timestamps from its send clock's slot number, so a slot the clock skipped after a stall is a
 * timestamp jump, not a shift of every later packet). The deviation is arrival − ideal.
 *
 * The jitter figures are of |deviation|: a late origin makes every on-time packet look early,
 * and the absolute value keeps that from passing for a good result. Because one late first
 * packet does skew a whole stream, each packet's lateness is also given against its stream's
 * earliest-aligned grid (the grid through its least delayed packet): always ≥ 0, it says how
 * much later than the stream's best case a packet came, whatever the origin did. Late packets
 * are counted on that scale.
 */
import { quantile } from './percentile.js';

/** One received packet: arrival time (monotonic ms) and its RTP timestamp. */
export interface Arrival {
  atMs: number;
  timestamp: number;
}

export interface GridSummary {
  streams: number;
  packets: number;
  /** |arrival − ideal| against the first packet's grid. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Signed extremes of arrival − ideal: a large negative one means a stream's origin was late. */
  earliestMs: number;
  latestMs: number;
  /** Against each stream's earliest-aligned grid (all ≥ 0). */
  latenessP50Ms: number;
  latenessP99Ms: number;
  /** Packets more than `lateThresholdMs` later than their slot on the earliest-aligned grid. */
  latePackets: number;
  lateThresholdMs: number;
  /** Slots with no packet between a stream's first and last one (skipped or lost). */
  missingSlots: number;
}

const SAMPLES_PER_SLOT = 160;
const SLOT_MS = 20;

export function analyseGrid(streams: readonly (readonly Arrival[])[], lateThresholdMs: number): GridSummary {
  const deviations: number[] = [];
  const lateness: number[] = [];
  let missingSlots = 0;
  let used = 0;
  for (const arrivals of streams) {
    const first = arrivals[0];
    if (first === undefined) continue;
    used += 1;
    let lastSlot = 0;
    let earliest = Number.POSITIVE_INFINITY;
    const start = deviations.length;
    for (const arrival of arrivals) {
      // Unsigned 32-bit difference: timestamps wrap.
      const slot = ((arrival.timestamp - first.timestamp) >>> 0) / SAMPLES_PER_SLOT;
      const deviation = arrival.atMs - (first.atMs + slot * SLOT_MS);
      deviations.push(deviation);
      earliest = Math.min(earliest, deviation);
      if (slot > lastSlot + 1) missingSlots += slot - lastSlot - 1;
      lastSlot = Math.max(lastSlot, slot);
    }
    for (let i = start; i < deviations.length; i++) lateness.push(deviations[i]! - earliest);
  }
  const absolute = deviations.map(Math.abs);
  return {
    streams: used,
    packets: deviations.length,
    p50Ms: quantile(absolute, 0.5),
    p99Ms: quantile(absolute, 0.99),
    maxMs: quantile(absolute, 1),
    earliestMs: quantile(deviations, 0),
    latestMs: quantile(deviations, 1),
    latenessP50Ms: quantile(lateness, 0.5),
    latenessP99Ms: quantile(lateness, 0.99),
    latePackets: lateness.filter((late) => late > lateThresholdMs).length,
    lateThresholdMs,
    missingSlots,
  };
}
