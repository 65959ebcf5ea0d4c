/**
 * The load side of `npm run bench`, run as a child process so that its CPU is not counted against
 * the bridge: N simulated Twilio callers and the fake model they reach through the bridge (or the
 * plain relay). Callers and model share one clock here, which is what the path latencies need.
 *
 * Started by load-child.ts with an IPC channel; every command arrives over it. The process exits
 * when the benchmark disconnects (also when it dies) or after --max-ms, whichever comes first.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { FakeModel } from './fake-model.js';
import { FixedRateSchedule } from './fixed-rate-schedule.js';
import { ForkCaller, FRAME_MS } from './fork-caller.js';
import { LatencyLog } from './latency-log.js';
import type { DriverReady, DriverReply, DriverRequest, HangupResult, OpenCallsRequest, OpenCallsResult } from './load-protocol.js';
import { callerFramesBase64 } from './synthetic-audio.js';

const CALLER_FRAME_VARIANTS = 16;

const { values } = parseArgs({ options: { 'max-ms': { type: 'string', default: '300000' } } });
const maxMs = Number(values['max-ms']);
const send = process.send?.bind(process);
if (send === undefined) {
  console.error('load-driver is started by the benchmark (npm run bench); it needs an IPC channel');
  process.exit(2);
}

const log = new LatencyLog();
const schedule = new FixedRateSchedule();
const model = await FakeModel.start(schedule, log);
const payloads = callerFramesBase64(CALLER_FRAME_VARIANTS);
let callers: ForkCaller[] = [];
let callersOpened = 0;

async function shutdown(code: number): Promise<never> {
  schedule.stop();
  for (const caller of callers) caller.terminate();
  await Promise.race([model.close(), sleep(1000)]);
  process.exit(code);
}

setTimeout(() => {
  console.error(`load-driver: still running after ${maxMs} ms; exiting`);
  void shutdown(3);
}, maxMs).unref();
process.on('disconnect', () => void shutdown(0));

async function open(request: OpenCallsRequest): Promise<OpenCallsResult> {
  const started = performance.now();
  const deadline = started + request.timeoutMs;
  const timeLeft = (): number => Math.max(1, deadline - performance.now());
  model.settings = { target: request.target, stream: request.stream, upHoldBackSamples: request.upHoldBackSamples };
  const opened: ForkCaller[] = [];
  let active = request.calls;
  let failed = 0;
  try {
    if (request.paired) {
      // One at a time: the next model session to become ready is this caller's.
      for (let i = 0; i < request.calls; i++) {
        const ready = model.nextReady(timeLeft());
        ready.catch(() => undefined);
        opened.push(await ForkCaller.connect(request.url, callersOpened++, log, payloads, timeLeft()));
        (await ready).peer = opened[opened.length - 1];
      }
    } else {
      const readyBefore = model.readyTotal;
      const attempts = await Promise.allSettled(
        Array.from({ length: request.calls }, () => ForkCaller.connect(request.url, callersOpened++, log, payloads, timeLeft())),
      );
      for (const attempt of attempts) if (attempt.status === 'fulfilled') opened.push(attempt.value);
      const failedToConnect = attempts.find((attempt) => attempt.status === 'rejected');
      if (failedToConnect !== undefined) throw failedToConnect.reason;
      // A call the bridge could not set up ends, and its socket closes: that settles it too.
      let ended = 0;
      for (const caller of opened) {
        void caller.closed.then(() => {
          ended += 1;
          model.recheck();
        });
      }
      await model.whenSettled(() => model.readyTotal - readyBefore + ended >= request.calls, timeLeft());
      active = model.readyTotal - readyBefore;
      failed = request.calls - active;
    }
  } catch (err) {
    for (const caller of opened) caller.terminate();
    throw err;
  }
  callers.push(...opened);
  if (request.media) {
    // Spread over the 20 ms period, as independent calls would be.
    const now = performance.now();
    opened.forEach((caller, i) => schedule.add(caller, now + FRAME_MS + (i * FRAME_MS) / opened.length));
  }
  return { opened: opened.length, active, failed, elapsedMs: performance.now() - started };
}

function measure(on: boolean): null {
  if (on) {
    schedule.resetStats();
    log.setMeasuring(true);
  } else {
    log.count('scheduleLateRuns', schedule.lateRuns);
    log.noteScheduleLateness(schedule.maxLateMs);
    log.setMeasuring(false);
  }
  return null;
}

async function hangup(timeoutMs: number): Promise<HangupResult> {
  log.setMeasuring(false);
  const ending = callers;
  callers = [];
  await Promise.race([Promise.all(ending.map((caller) => caller.hangup())), sleep(timeoutMs)]);
  for (const caller of ending) caller.terminate();
  return { sessionsLeftOpen: await model.whenAllClosed(timeoutMs) };
}

async function handle(request: DriverRequest): Promise<unknown> {
  switch (request.kind) {
    case 'open':
      return open(request.body);
    case 'measure':
      return measure(request.body.on);
    case 'collect':
      return log.collect();
    case 'hangup':
      return hangup(request.body.timeoutMs);
  }
}

const reply = (message: DriverReply): void => {
  try {
    send(message);
  } catch {
    // The benchmark is gone; 'disconnect' shuts this process down.
  }
};

process.on('message', (message: DriverRequest) => {
  handle(message).then(
    (result) => reply({ id: message.id, ok: true, result }),
    (err: unknown) => reply({ id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
send({ kind: 'ready', modelUrl: model.url } satisfies DriverReady);
