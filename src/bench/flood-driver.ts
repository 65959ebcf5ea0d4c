/**
 * The far side of `npm run bench:flood`, as child processes. Two run: one hosts the Qwen simulator
 * and the healthy callers (a 20 ms frame every 20 ms; they note when each agent frame arrives),
 * the other the attacker (a flooding stream; a burst of connections that authenticate but never
 * start). Arrival times are taken in a process that does little else, so they measure the bridge
 * rather than the attacker or the benchmark.
 *
 * Started by flood-bench.ts with an IPC channel; exits when the benchmark disconnects or after
 * --max-ms, whichever comes first.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { RpcReply, RpcRequest } from './child-rpc.js';
import type { FloodCalls, FloodReady, GapSummary } from './flood-protocol.js';
import { flood, PacedCaller } from './flood-streams.js';
import { startQwenSimulator } from '../sim/qwen/server.js';

const { values } = parseArgs({ options: { 'max-ms': { type: 'string', default: '120000' } } });
const send = process.send?.bind(process);
if (send === undefined) {
  console.error('flood-driver is started by npm run bench:flood; it needs an IPC channel');
  process.exit(2);
}

// The agent keeps talking for the whole run, so every window has agent audio to measure gaps in.
const LONG_GREETING = Array.from({ length: 40 }, () => 'Thank you for calling Acme support, every call matters to us.').join(' ');
const apiKey = randomBytes(16).toString('hex');
const sim = await startQwenSimulator({ apiKey, script: { greeting: { text: LONG_GREETING } } });
let healthy: PacedCaller[] = [];

const shutdown = async (code: number): Promise<void> => {
  for (const caller of healthy) void caller.hangup();
  await sim.close();
  process.exit(code);
};
setTimeout(() => {
  console.error('flood-driver: still running after --max-ms; exiting');
  void shutdown(3);
}, Number(values['max-ms'])).unref();
process.on('disconnect', () => void shutdown(0));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function gaps(fromMs: number, toMs: number): GapSummary {
  const each = healthy.map((caller) => caller.maxGapMs(fromMs, toMs));
  const worst = each.map((g) => g.maxGapMs).sort((a, b) => a - b);
  return {
    calls: each.length,
    maxGapMs: Math.round(worst.at(-1) ?? 0),
    medianMaxGapMs: Math.round(worst[Math.floor(worst.length / 2)] ?? 0),
    frames: each.reduce((sum, g) => sum + g.frames, 0),
  };
}

let windowFromMs = 0;

async function handle(request: RpcRequest<FloodCalls>): Promise<unknown> {
  switch (request.kind) {
    case 'connectHealthy': {
      const { url, calls } = request.body;
      for (let i = 0; i < calls; i += 1) healthy.push(await PacedCaller.connect(url, `MZhealthy${i}`));
      while (healthy.some((caller) => caller.agentFrameAtMs.length < 10)) await sleep(20);
      return { connected: healthy.length };
    }
    case 'startWindow':
      windowFromMs = performance.now();
      return null;
    case 'endWindow':
      return gaps(windowFromMs, performance.now());
    case 'modelInput':
      return { ms: Math.round(sim.sessions[request.body.session - 1]?.appendedAudioMs ?? 0) };
    case 'flood': {
      const result = await flood(request.body.url, 'MZflooder', { maxWallMs: request.body.maxWallMs });
      return {
        offeredAudioMs: result.sentAudioMs,
        wallMs: result.wallMs,
        ...(result.close ? { closeCode: result.close.code, closeReason: result.close.reason } : {}),
      };
    }
    case 'idleBurst': {
      const { url, connections, timeoutMs } = request.body;
      const from = performance.now();
      const closeCodes: Record<string, number> = {};
      const sockets = Array.from({ length: connections }, () => new WebSocket(url, { perMessageDeflate: false }));
      const opened = await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<boolean>((resolve) => {
              ws.once('open', () => resolve(true));
              ws.once('error', () => resolve(false));
            }),
        ),
      );
      const openMs = performance.now() - from;
      await Promise.race([
        Promise.all(
          sockets.map(
            (ws) =>
              new Promise<void>((resolve) => {
                if (ws.readyState === WebSocket.CLOSED) return resolve();
                ws.once('close', (code) => {
                  closeCodes[code] = (closeCodes[code] ?? 0) + 1;
                  resolve();
                });
              }),
          ),
        ),
        sleep(timeoutMs),
      ]);
      for (const ws of sockets) ws.terminate();
      return { opened: opened.filter(Boolean).length, openMs: Math.round(openMs), closeCodes };
    }
    case 'hangup': {
      const sentMs = healthy.map((caller) => caller.framesSent * 20);
      await Promise.all(healthy.map((caller) => caller.hangup()));
      healthy = [];
      await sleep(200);
      return { modelInputMs: sim.sessions.filter((s) => s.number <= sentMs.length).map((s) => Math.round(s.appendedAudioMs)), sentMs };
    }
  }
}

process.on('message', (request: RpcRequest<FloodCalls>) => {
  handle(request).then(
    (result) => send({ id: request.id, ok: true, result } satisfies RpcReply),
    (err: unknown) => send({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies RpcReply),
  );
});
send({ kind: 'ready', simUrl: sim.url, apiKey } satisfies FloodReady);
