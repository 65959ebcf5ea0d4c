import { describe, expect, it } from 'vitest';
import {
  assembleReport,
  formatJsonLine,
  formatTable,
  parseReportOutput,
  type BackendMeasurements,
  type BenchMeasurements,
} from '../../src/bench/bench-report.js';
import type { LoadTarget } from '../../src/bench/load-protocol.js';
import type { LoadRoundResult } from '../../src/bench/load-round.js';
import { quantile } from '../../src/bench/percentile.js';
import { STAGES, type StageBreakdown } from '../../src/bench/profile-stages.js';

function backend(usPer20ms: number, delayMs: number, blockMs: number): BackendMeasurements {
  const quality = (passbandDeviationDb: number, aliasDb: number) => ({
    passbandDeviationDb,
    aliasDb,
    worstAlias: undefined,
    delayMs,
    declaredDelayMs: delayMs,
  });
  return {
    mediaCost: { usPer20ms, inboundUs: usPer20ms / 4, outboundUs: (usPer20ms * 3) / 4 },
    createCost: { firstMs: 1, medianMs: 0.5, worstMs: 2 },
    up: quality(0.01, -80),
    down: quality(0.03, -75.04),
    callStart: {
      backend: 'fir',
      calls: 10,
      blockMs,
      singleBlockMedianMs: 0.4,
      singleBlockWorstMs: 0.9,
      loopDelayP99Ms: 1,
      allActiveMs: 200,
      activeCalls: 10,
      memory: { rssBytes: 4000, heapAndExternalBytes: 3000, heapBytes: 2000, externalBytes: 1000, collected: true },
      endReasons: { caller_hangup: 10 },
    },
  };
}

function round(target: LoadTarget, cpuPercents: number[], up: number[], down: number[], heapAndExternalBytes: number): LoadRoundResult {
  return {
    target,
    calls: 10,
    setupMs: 300,
    cpuWindows: cpuPercents.map((totalPercent) => ({
      elapsedMs: 2000,
      userPercent: totalPercent * 0.8,
      systemPercent: totalPercent * 0.2,
      totalPercent,
      mainThreadPercent: totalPercent * 0.9,
      otherThreadsPercent: totalPercent * 0.1,
    })),
    loopDelayP99Ms: 1.5,
    loopDelayMaxMs: 4,
    driver: {
      upLatenciesMs: up,
      downLatenciesMs: down,
      measuredMs: 4000,
      counters: {
        framesSent: 2000,
        uplinkMessagesAtModel: target === 'relay' ? 2000 : 400,
        uplinkUnmatched: 0,
        deltasSent: 350,
        responsesStarted: 25,
        responsesUnheard: 0,
        audioMessagesAtCaller: 1750,
        scheduleLateRuns: 2,
        scheduleMaxLateMs: 6,
      },
    },
    memory: { rssBytes: 9000, heapAndExternalBytes, heapBytes: heapAndExternalBytes, externalBytes: 0, collected: true },
    endedEarly: {},
    endReasons: target === 'bridge' ? { caller_hangup: 10 } : {},
  };
}

function stages(totalUs: number): StageBreakdown {
  const stagesUsPerCallPer20ms = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as StageBreakdown['stagesUsPerCallPer20ms'];
  stagesUsPerCallPer20ms.resample = totalUs / 2;
  stagesUsPerCallPer20ms.websocket = totalUs / 2;
  return { totalUsPerCallPer20ms: totalUs, stagesUsPerCallPer20ms, cpuPercent: 20 };
}

const ramp = (from: number, to: number, count: number): number[] =>
  Array.from({ length: count }, (_, i) => from + ((to - from) * i) / (count - 1));

function measurements(): BenchMeasurements {
  const bridgeUp = ramp(0.5, 3, 200);
  const relayUp = ramp(0.2, 1, 200);
  return {
    timestamp: '2025-01-01T00:00:00.000Z',
    node: 'v20.0.0',
    cpus: 2,
    cpuModel: 'test cpu',
    loadAverage1m: { start: 0.5, end: 1.25 },
    settings: { calls: 10, startCalls: 10, rounds: 2, windows: 2, windowEachMs: 2500, warmupMs: 1000, loadBackend: 'fir' },
    backends: { fir: backend(30, 2, 5), libsamplerate: backend(220, 5.9, 400) },
    sweep: [
      {
        calls: 10,
        rounds: {
          bridge: [
            round('bridge', [50, 54], bridgeUp.slice(0, 100), [1, 2, 3], 150_000),
            round('bridge', [52, 90], bridgeUp.slice(100), [4, 5], 170_000),
          ],
          floor: [round('floor', [40, 41], bridgeUp.slice(0, 100), [1], 90_000), round('floor', [44, 39], bridgeUp.slice(100), [2], 90_000)],
          relay: [round('relay', [20, 25], relayUp.slice(0, 100), [0.5], -1000), round('relay', [22, 21], relayUp.slice(100), [0.7], 1000)],
        },
      },
      {
        calls: 100,
        rounds: {
          bridge: [round('bridge', [80], bridgeUp, [9], 150_000)],
          floor: [round('floor', [60], bridgeUp, [1], 90_000)],
          relay: [round('relay', [40], relayUp, [0.5], 1000)],
        },
      },
    ],
    stages: { bridge: stages(60), floor: stages(50) },
    durationMs: 61_234.5,
  };
}

describe('bench report', () => {
  it('takes the default backend figures and derives the comparisons from both targets', () => {
    const report = assembleReport(measurements());
    expect(report.mediaUsPer20ms).toBe(30);
    expect(report.backends.libsamplerate.mediaUsPer20ms).toBe(220);
    expect(report.upDelayMs).toBe(2);
    expect(report.backends.libsamplerate.downDelayMs).toBe(5.9);
    // Worst of the two directions.
    expect(report.passbandDeviationDb).toBe(0.03);
    expect(report.aliasDb).toBe(-75);
    expect(report.callStartBlockMs).toBe(5);
    expect(report.backends.libsamplerate.callStartBlockMs).toBe(400);
    // Medians over every window of every round: bridge 53 (of 50, 52, 54, 90), relay 21.5.
    expect(report.bridgeCpuPercent).toBe(53);
    expect(report.relayCpuPercent).toBe(21.5);
    expect(report.relayCpuRatio).toBe(2.47);
    // Floor median 40.5 (of 39, 40, 41, 44): 53 ÷ 40.5.
    expect(report.floorCpuPercent).toBe(40.5);
    expect(report.floorCpuRatio).toBe(1.31);
    // One sweep entry per call count, each from its own rounds: 80 ÷ 60 and 80 ÷ 40 at 100 calls.
    expect(report.sweep.map((point) => point.calls)).toEqual([10, 100]);
    expect(report.sweep[0]!.floorCpuRatio).toBe(1.31);
    expect(report.sweep[1]!.floorCpuRatio).toBe(1.33);
    expect(report.sweep[1]!.relayCpuRatio).toBe(2);
    // 80 % of 20 ms over the 10 calls the fixture rounds carry.
    expect(report.sweep[1]!.bridgeCpuUsPerCallPer20ms).toBe(1600);
    expect(report.stages.bridge.stagesUsPerCallPer20ms.resample).toBe(30);
    // 53 % of 20 ms shared by 10 calls.
    expect(report.bridgeCpuUsPerCallPer20ms).toBe(1060);
    // Latency tails come from the pooled samples of all rounds.
    expect(report.upPathP99Ms).toBeCloseTo(quantile(ramp(0.5, 3, 200), 0.99), 3);
    expect(report.upPathAddedP99Ms).toBeCloseTo(quantile(ramp(0.5, 3, 200), 0.99) - quantile(ramp(0.2, 1, 200), 0.99), 3);
    expect(report.downPathP50Ms).toBe(3);
    expect(report.downPathAddedP99Ms).toBeCloseTo(quantile([1, 2, 3, 4, 5], 0.99) - quantile([0.5, 0.7], 0.99), 3);
    expect(report.memoryPerCallBytes).toBe(160_000);
    expect(report.calls).toBe(10);
    expect(report.windowMs).toBe(10_000);
    expect(report.windowCount).toBe(4);
    expect(report.load.bridge.uplinkMessagesAtModelPerS).toBe(100);
    expect(report.load.bridge.endReasons).toEqual({ caller_hangup: 20 });
    expect(report.loadAverage1mEnd).toBe(1.25);
  });

  it('reports an empty measurement as null, not as NaN or a crash', () => {
    const m = measurements();
    const main = m.sweep[0]!.rounds;
    main.relay = main.relay.map((r) => ({ ...r, driver: { ...r.driver, downLatenciesMs: [] } }));
    const report = assembleReport(m);
    expect(report.relayDownPathP99Ms).toBeNull();
    expect(report.downPathAddedP99Ms).toBeNull();
    expect(parseReportOutput(formatJsonLine(report)).downPathAddedP99Ms).toBeNull();
  });

  it('round-trips through stdout when the JSON is the last line', () => {
    const report = assembleReport(measurements());
    const line = formatJsonLine(report);
    expect(line).not.toContain('\n');
    const stdout = `some progress\n${formatTable(report)}\n${line}\n\n`;
    expect(parseReportOutput(stdout)).toEqual(report);
  });

  it('refuses output whose last line is not the report', () => {
    const report = assembleReport(measurements());
    expect(() => parseReportOutput(`${formatJsonLine(report)}\nbench: done`)).toThrow(/not JSON/);
    expect(() => parseReportOutput('')).toThrow(/empty/);
    const { relayCpuRatio: _dropped, ...incomplete } = report;
    expect(() => parseReportOutput(JSON.stringify(incomplete))).toThrow(/relayCpuRatio/);
  });

  it('shows both targets and both backends in the table', () => {
    const table = formatTable(assembleReport(measurements()));
    expect(table).toContain('bridge ÷ relay CPU: 2.47');
    expect(table).toMatch(/media CPU µs \/ call \/ 20 ms\s+30\s+220/);
  });
});

describe('quantile', () => {
  it('interpolates between order statistics', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(quantile([5], 0.99)).toBe(5);
    expect(quantile([0, 10], 0.99)).toBeCloseTo(9.9);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });
});
