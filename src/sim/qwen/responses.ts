/**
 * What every simulated response shares: pacing, the hooks back into the session, the response
 * object of response.created / response.done, and the contract that a response which has ended
 * (completed, interrupted, cancelled, or its socket gone) never emits another event.
 */
import type { SessionTimers } from './session-timers.js';
import type { SessionConfig } from './session-config.js';
import type { OutputItem, ResponseObject, ResponseStatus, SendServerEvent, StatusDetails } from './server-events.js';
import type { ResponseOutput, Usage } from './usage.js';

export interface ResponseTiming {
  /** Audio carried by one response.audio.delta (default 100 ms = 4,800 bytes at 24 kHz). */
  audioDeltaMs: number;
  /** How much faster than real time deltas are sent; ≥ 1 (Infinity: as fast as the event loop). */
  speedFactor: number;
  /** From response.created to the first output item: the model "thinking". */
  firstDeltaDelayMs: number;
  /**
   * From a tool-call response's last function_call_arguments.done to its response.done (half of it
   * before output_item.done): the window in which a client that answers a call at once sends its
   * output too early. Default: live 150 ms; documented 0 (one burst).
   */
  toolCallDoneDelayMs: number;
}

export const DEFAULT_RESPONSE_TIMING: Readonly<ResponseTiming> = {
  audioDeltaMs: 100,
  speedFactor: 4,
  firstDeltaDelayMs: 200,
  toolCallDoneDelayMs: 150,
};

/** The status a response ends with when it is cut short; the reference lists `incomplete`
 *  among response statuses and not `cancelled`, so `incomplete` is the default. */
export type EndedEarlyStatus = Extract<ResponseStatus, 'incomplete' | 'cancelled' | 'failed'>;

/** How a response was cut short; `details` (live mode) becomes the response's status_details. */
export interface EarlyEnd {
  status: EndedEarlyStatus;
  details?: StatusDetails;
}

export type ResponseSource = 'greeting' | 'turn' | 'after_tool' | 'instructed' | 'fallback' | 'idle_reprompt';

export interface ResponseSummary {
  id: string;
  /** 1-based position among the session's responses. */
  index: number;
  kind: 'speech' | 'function_call';
  source: ResponseSource;
  status: ResponseStatus;
  /** Transcript actually sent (partial when cut short), or the call's arguments. */
  text: string;
  /** Audio sent, in milliseconds (0 for function calls and text-only responses). */
  audioMs: number;
  audioDeltas: number;
  /** Full audio length, to know when real-time playout of it would end. */
  plannedAudioMs: number;
  /** Wall-clock time (ms) of the first audio delta, if any. */
  firstAudioAtMs: number | undefined;
  /** The (first) function call of a tool-call response. */
  callId?: string;
  toolName?: string;
  /** Every function call of a tool-call response, in output order. */
  calls?: Array<{ callId: string; toolName: string; arguments: string }>;
}

export interface ResponseHooks {
  usage(output: ResponseOutput): Usage;
  /** Called after each audio delta is sent (fault triggers count them). */
  onAudioDelta(responseIndex: number, deltaCount: number): void;
  onFinished(summary: ResponseSummary): void;
}

export interface ResponseEnvironment {
  send: SendServerEvent;
  isOpen(): boolean;
  timers: SessionTimers;
  timing: ResponseTiming;
  conversationId: string;
  /** The configuration when the response started; later updates do not change a live response. */
  config: SessionConfig;
  hooks: ResponseHooks;
}

export interface ActiveResponse {
  readonly id: string;
  readonly index: number;
  start(): void;
  /** Ends the response now (interruption or response.cancel). */
  stop(end: EarlyEnd): void;
  /** The socket is gone: stop without emitting anything. */
  abandon(): void;
}

export function responseObject(
  env: ResponseEnvironment,
  id: string,
  status: ResponseStatus,
  output: OutputItem[],
  usage?: Usage,
  details?: StatusDetails,
): ResponseObject {
  const response: ResponseObject = {
    id,
    object: 'realtime.response',
    conversation_id: env.conversationId,
    status,
    modalities: [...env.config.modalities],
    voice: env.config.voice,
    output_audio_format: env.config.output_audio_format,
    output,
  };
  if (details) response.status_details = details;
  if (usage) response.usage = usage;
  return response;
}

/** Delay until step `step` of a stream that started at `startedAtMs` and sends every `intervalMs`:
 *  scheduled against the start, so timer lateness does not accumulate into a slower stream. */
export function delayUntilStep(startedAtMs: number, step: number, intervalMs: number): number {
  return Math.max(0, startedAtMs + step * intervalMs - Date.now());
}

export function deltaIntervalMs(timing: ResponseTiming): number {
  return timing.speedFactor === Infinity ? 0 : timing.audioDeltaMs / timing.speedFactor;
}
