/**
 * One scripted session against the model service through the bridge's own client: connect, a
 * greeting, a caller turn from recorded speech that should make the model call a tool, the tool
 * answered after its response is done, a barge-in into the answer, and a stretch of silence that
 * only the keep-alive fills. Every frame is checked by the client's own schemas (the observer),
 * so what this reports is what a call would meet. It is a driver over the real client, not a
 * second client.
 */
import type { AgentProfile } from '../call/agent-profile.js';
import { echoDifferences } from '../ai/session-echo.js';
import { sessionUpdate } from '../ai/qwen-client-events.js';
import type { ParsedServerFrame } from '../ai/qwen-events.js';
import type { QwenFrameObserver, QwenRealtimeSession } from '../ai/qwen-realtime-session.js';
import { AiConnectError, type AiEvent } from '../call/ai-session.js';
import { EventWaiter } from './event-waiter.js';
import { CHECK_NAMES, verdictOf, type CheckName, type ProbeCheck, type ProbeReport } from './probe-report.js';

export type ProbeConnector = (
  profile: AgentProfile,
  onEvent: (event: AiEvent) => void,
  observer: QwenFrameObserver,
) => Promise<QwenRealtimeSession>;

export interface ProbeOptions {
  connect: ProbeConnector;
  profile: AgentProfile;
  target: { host: string; simulated: boolean };
  /** `check`: connect, read the echo, close (what start-up and `--check` run). */
  mode: 'full' | 'check';
  /** Caller speech, 16 kHz PCM16: a question that needs the tool, and a barge-in. */
  speech: { question: Int16Array; interruption: Int16Array };
  /** How long to stay silent (keep-alive only) before hanging up; 0 skips the check. */
  holdMs: number;
  /** The longest wait for any one expected event. */
  stepTimeoutMs: number;
  nowMs: () => number;
}

export const PROBE_GREETING = 'Greet the caller in one short sentence.';
export const PROBE_TOOL_OUTPUT = JSON.stringify({ status: 'shipped', eta: 'Thursday morning', carrier: 'courier' });

const FRAME_SAMPLES = 320; // 20 ms at 16 kHz
/** Silence after each utterance so server VAD can see the turn end. */
const TRAILING_SILENCE_MS = 1_500;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Appends the speech in real time, 20 ms at a time, then silence; scheduled against the start so it does not drift. */
async function speak(session: QwenRealtimeSession, pcm: Int16Array, nowMs: () => number): Promise<void> {
  const silence = new Int16Array((TRAILING_SILENCE_MS * 16_000) / 1000);
  const all = new Int16Array(pcm.length + silence.length);
  all.set(pcm);
  const startedMs = nowMs();
  for (let frame = 0; frame * FRAME_SAMPLES < all.length; frame++) {
    if (session.state !== 'open') return;
    session.appendAudio(all.subarray(frame * FRAME_SAMPLES, (frame + 1) * FRAME_SAMPLES));
    const dueMs = startedMs + (frame + 1) * 20;
    await sleep(Math.max(0, dueMs - nowMs()));
  }
  session.flushAudio();
}

class FrameTally implements QwenFrameObserver {
  count = 0;
  readonly byType: Record<string, number> = {};
  readonly malformed: string[] = [];
  readonly unknown = new Set<string>();
  readonly errorFields = new Set<string>();
  readonly statusDetails: string[] = [];
  echo: Extract<ParsedServerFrame, { kind: 'event' }>['event'] | undefined;

  received(frame: ParsedServerFrame, text: string): void {
    this.count += 1;
    const type = frame.kind === 'malformed' ? (frame.type ?? '(no type)') : frame.kind === 'event' ? frame.event.type : frame.type;
    this.byType[type] = (this.byType[type] ?? 0) + 1;
    if (frame.kind === 'malformed') this.malformed.push(`${type}: ${frame.reason}`);
    if (frame.kind === 'unknown') this.unknown.add(frame.type);
    if (frame.kind === 'event' && frame.event.type === 'session.updated') this.echo = frame.event;
    if (frame.kind === 'event' && frame.event.type === 'response.done' && frame.event.statusDetails !== '') {
      this.statusDetails.push(`${frame.event.status} (${frame.event.statusDetails})`);
    }
    if (type === 'error') this.noteErrorFields(text);
  }

  private noteErrorFields(text: string): void {
    try {
      const json = JSON.parse(text) as { error?: Record<string, unknown> };
      const fields = Object.entries(json.error ?? {}).map(([k, v]) => `${k}: ${v === null ? 'null' : typeof v}`);
      this.errorFields.add(`{ ${fields.join(', ')} }`);
    } catch {
      // a malformed error frame is counted as malformed already
    }
  }

  sent(): void {
    // Only what comes back is checked.
  }
}

export async function runProbe(opts: ProbeOptions): Promise<ProbeReport> {
  const checks = Object.fromEntries(CHECK_NAMES.map((n) => [n, { status: 'skipped', detail: 'not reached' }])) as Record<CheckName, ProbeCheck>;
  const set = (name: CheckName, status: ProbeCheck['status'], detail: string): void => {
    checks[name] = { status, detail };
  };
  const tally = new FrameTally();
  const observer: QwenFrameObserver = tally;
  const waiter = new EventWaiter(opts.nowMs);
  const latenciesMs: ProbeReport['latenciesMs'] = {};
  const observations: ProbeReport['observations'] = { errorFields: [], statusDetails: [], keepAlivesSent: 0 };

  const startedMs = opts.nowMs();
  let session: QwenRealtimeSession | undefined;
  try {
    session = await opts.connect(opts.profile, waiter.onEvent, observer);
    latenciesMs.connect = opts.nowMs() - startedMs;
    set('connect', 'pass', `session ready in ${Math.round(latenciesMs.connect)} ms`);
  } catch (err) {
    const detail = err instanceof AiConnectError ? `${err.kind}: ${err.message}` : err instanceof Error ? err.message : String(err);
    set('connect', 'fail', detail);
  }

  if (session !== undefined) {
    const echo = tally.echo;
    const differences = echo?.type === 'session.updated' ? echoDifferences(sessionUpdate(opts.profile).session, echo.echo) : [];
    set('session_echo', differences.length === 0 ? 'pass' : 'differs', differences.length === 0 ? 'the service kept the configuration' : differences.join('; '));
    if (opts.mode === 'full') await runConversation(session, opts, waiter, set, latenciesMs, observations);
    session.close();
  }
  waiter.cancelAll();

  if (checks.connect.status !== 'fail') {
    const frameProblems = [...tally.malformed.map((m) => `malformed ${m}`), ...[...tally.unknown].map((t) => `unknown event ${t}`)];
    set('frames', frameProblems.length === 0 ? 'pass' : 'differs', frameProblems.length === 0 ? `all ${tally.count} frames matched our schemas` : frameProblems.join('; '));
    const errors = waiter.events.filter((e) => e.event.type === 'error').map((e) => e.event as Extract<AiEvent, { type: 'error' }>);
    set('errors', errors.length === 0 ? 'pass' : 'differs', errors.length === 0 ? 'no error events' : errors.map((e) => `${e.code} ${e.message}`).join('; '));
  }
  observations.errorFields = [...tally.errorFields];
  observations.statusDetails = tally.statusDetails;
  observations.keepAlivesSent = session?.stats.keepAlivesSent ?? 0;
  return {
    target: { model: opts.profile.model, voice: opts.profile.voice, host: opts.target.host, simulated: opts.target.simulated },
    verdict: verdictOf(checks),
    checks,
    latenciesMs,
    frames: { received: tally.count, byType: tally.byType, malformed: tally.malformed, unknown: [...tally.unknown] },
    observations,
  };
}

async function runConversation(
  session: QwenRealtimeSession,
  opts: ProbeOptions,
  waiter: EventWaiter,
  set: (name: CheckName, status: ProbeCheck['status'], detail: string) => void,
  latenciesMs: ProbeReport['latenciesMs'],
  observations: ProbeReport['observations'],
): Promise<void> {
  const step = opts.stepTimeoutMs;
  const now = opts.nowMs;

  // ── greeting ──
  let mark = waiter.events.length;
  const greetAtMs = now();
  session.greet(PROBE_GREETING);
  const greetingDone = await waiter.next('response_done', step);
  const greetingAudio = waiter.since('audio', mark).filter((e) => e.event.responseId === greetingDone?.responseId);
  const rejected = waiter.since('config_rejected', mark)[0];
  if (greetingAudio[0] !== undefined) latenciesMs.firstAudio = greetingAudio[0].atMs - greetAtMs;
  if (rejected !== undefined) {
    set('greeting', 'fail', `the service refused the agent configuration: ${rejected.event.detail}`);
    return;
  }
  if (greetingDone === undefined) {
    set('greeting', 'fail', `no response to the greeting request within ${step} ms`);
    return;
  }
  if (greetingDone.status === 'completed' && greetingAudio.length > 0) {
    set('greeting', 'pass', `spoken (${greetingAudio.length} audio deltas, first after ${Math.round(latenciesMs.firstAudio ?? 0)} ms)`);
  } else {
    set('greeting', 'fail', `greeting ended ${greetingDone.status}${greetingDone.statusDetails ? ` (${greetingDone.statusDetails})` : ''} with ${greetingAudio.length} audio deltas`);
  }

  // ── a caller turn that needs the tool ──
  mark = waiter.events.length;
  const speechStarted = waiter.next('speech_started', step);
  const speechStopped = waiter.next('speech_stopped', step + opts.speech.question.length / 16);
  const toolCall = waiter.next('tool_call', 2 * step + opts.speech.question.length / 16);
  await speak(session, opts.speech.question, now);
  const started = await speechStarted;
  const stopped = await speechStopped;
  const stoppedAt = waiter.since('speech_stopped', mark)[0]?.atMs;
  set(
    'caller_vad',
    started && stopped ? 'pass' : 'fail',
    started && stopped ? 'speech_started and speech_stopped for the caller turn' : `server VAD did not report the caller turn (${started ? 'no speech_stopped' : 'no speech_started'})`,
  );
  const call = await toolCall;
  const firstAnswerAudio = waiter.since('audio', mark)[0];
  if (stoppedAt !== undefined && firstAnswerAudio !== undefined) latenciesMs.turn = firstAnswerAudio.atMs - stoppedAt;
  if (call === undefined) {
    set('tool_call', 'differs', 'the model answered without calling lookup_order (it may not have understood the recording); tool handling not exercised');
  } else {
    observations.toolArguments = call.arguments;
    let parses = true;
    try {
      JSON.parse(call.arguments === '' ? '{}' : call.arguments);
    } catch {
      parses = false;
    }
    set('tool_call', parses ? 'pass' : 'differs', `${call.name}(${call.arguments}) delivered after its response completed${parses ? '' : '; the arguments are not JSON'}`);
  }

  // ── the tool's answer, and a barge-in into what the model says with it ──
  if (call !== undefined) {
    mark = waiter.events.length;
    const answerStarted = waiter.next('response_started', step);
    session.sendToolResult(call.toolCallId, PROBE_TOOL_OUTPUT);
    const answer = await answerStarted;
    const answerAudio = answer ? await waiter.next('audio', step, (e) => e.responseId === answer.responseId) : undefined;
    const refused = waiter.since('error', mark).find((e) => /unknown function call/i.test(e.event.message));
    if (refused !== undefined) set('tool_continuation', 'fail', `the service refused the tool output: ${refused.event.message}`);
    else if (answerAudio === undefined) set('tool_continuation', 'fail', `no spoken answer within ${step} ms of the tool output`);
    else set('tool_continuation', 'pass', 'the output was accepted and the model spoke with it');
    if (answer !== undefined && answerAudio !== undefined) await bargeIn(session, opts, waiter, answer.responseId, set, observations);
  } else {
    set('tool_continuation', 'skipped', 'no tool call to answer');
    set('barge_in', 'skipped', 'no long answer to interrupt');
  }
  const transcripts = waiter.since('caller_transcript', 0).filter((e) => e.event.text.trim() !== '');
  set(
    'caller_transcript',
    transcripts.length > 0 ? 'pass' : 'differs',
    transcripts.length > 0 ? `"${transcripts.at(-1)?.event.text ?? ''}"` : 'no caller transcription arrived (records would have no caller lines)',
  );

  // ── silence: only the keep-alive goes out ──
  if (opts.holdMs <= 0) {
    set('keep_alive', 'skipped', 'no hold requested');
    return;
  }
  await waiter.next('response_done', step); // let the last answer finish first
  const keepAlivesBefore = session.stats.keepAlivesSent;
  mark = waiter.events.length;
  await sleep(opts.holdMs);
  const closed = waiter.since('closed', mark)[0];
  const sent = session.stats.keepAlivesSent - keepAlivesBefore;
  if (closed !== undefined) set('keep_alive', 'fail', `the service closed the session during ${opts.holdMs} ms of silence (${closed.event.code ?? '-'}: ${closed.event.detail})`);
  else if (sent === 0) set('keep_alive', 'differs', `the session stayed open ${opts.holdMs} ms without any keep-alive (the idle limit is longer than the hold)`);
  else set('keep_alive', 'pass', `open after ${opts.holdMs} ms of silence; ${sent} keep-alive(s) sent`);
}

async function bargeIn(
  session: QwenRealtimeSession,
  opts: ProbeOptions,
  waiter: EventWaiter,
  responseId: string,
  set: (name: CheckName, status: ProbeCheck['status'], detail: string) => void,
  observations: ProbeReport['observations'],
): Promise<void> {
  const mark = waiter.events.length;
  const cutDone = waiter.next('response_done', opts.stepTimeoutMs + opts.speech.interruption.length / 16, (e) => e.responseId === responseId);
  const started = waiter.next('speech_started', opts.stepTimeoutMs + opts.speech.interruption.length / 16);
  const speaking = speak(session, opts.speech.interruption, opts.nowMs);
  const speechAt = await started;
  // Finished before the caller was heard (the service writes faster than it speaks); a done that
  // arrives with speech_started is the service's own barge-in, not that.
  const speechIndex = waiter.events.findIndex((e, i) => i >= mark && e.event.type === 'speech_started');
  const doneIndex = waiter.events.findIndex((e, i) => i >= mark && e.event.type === 'response_done' && e.event.responseId === responseId);
  const doneBefore = doneIndex !== -1 && (speechIndex === -1 || doneIndex < speechIndex);
  // What the bridge does on speech_started: cancel the live response (tolerating the race).
  if (speechAt !== undefined && !doneBefore) session.cancelResponse();
  const done = await cutDone;
  await speaking;
  if (speechAt === undefined) {
    set('barge_in', 'fail', 'the interruption was not detected (no speech_started)');
    return;
  }
  if (doneBefore) {
    set('barge_in', 'skipped', 'the answer had finished before the interruption was detected; nothing to cut');
    return;
  }
  if (done === undefined) {
    set('barge_in', 'fail', 'the interrupted response never ended (no response.done)');
    return;
  }
  observations.bargeInStatus = `${done.status}${done.statusDetails ? ` (${done.statusDetails})` : ''}`;
  const lateAudio = waiter.since('audio', speechIndex).filter((e) => e.event.responseId === responseId).length;
  const cut = done.status === 'cancelled' || done.status === 'incomplete';
  set(
    'barge_in',
    cut && lateAudio === 0 ? 'pass' : 'differs',
    `response ended ${observations.bargeInStatus}; ${lateAudio} audio deltas of it reached the call after speech_started` +
      (session.stats.droppedAudioDeltas > 0 ? ` (${session.stats.droppedAudioDeltas} dropped by the client)` : ''),
  );
}
