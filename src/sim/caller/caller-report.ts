/** What a simulated call came to: the numbers a demo prints and a test or load test asserts on. */

export type CallerEndedBy = 'caller' | 'bridge' | 'max_duration' | 'step_timeout';

export interface StepRecord {
  step: string;
  startedMs: number;
  endedMs: number;
  ok: boolean;
  error?: string;
}

export interface CallerReport {
  dialect: 'twilio' | 'audio_fork';
  endedBy: CallerEndedBy;
  /** Close code and reason the bridge closed with (endedBy 'bridge'). */
  closeCode?: number;
  closeReason?: string;
  durationMs: number;
  /** Call time of the first audible agent sample the caller heard. */
  firstAgentAudioHeardMs?: number;
  /** Call time at which the last audible agent sample the caller heard ended. */
  lastAgentAudioHeardMs?: number;
  clearsReceivedMs: number[];
  marksEchoed: number;
  agentAudio: { receivedMs: number; heardMs: number; clearedMs: number };
  callerSpeechSentMs: number;
  framesSent: number;
  bargeIns: { atMs: number; utterance: string }[];
  steps: StepRecord[];
  /** Frames from the bridge that a real carrier would reject. Empty in a healthy run. */
  invalidFromBridge: string[];
}
