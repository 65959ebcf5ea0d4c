/**
 * The Qwen-Omni-Realtime simulator: a local stand-in for the real service that follows the
 * protocol reference, for tests, the demo and the load test. Start it with `startQwenSimulator`.
 */
export { startQwenSimulator, type HandshakeRecord, type QwenSimulator } from './server.js';
export { DEFAULT_RETAINED_SESSIONS, DEFAULT_SESSION_CAP_MS, type QwenSimulatorOptions } from './options.js';
export type { Fidelity } from './fidelity.js';
export {
  SUPPORT_LINE_SCRIPT,
  type ConversationScript,
  type ScriptedReply,
  type ScriptedSpeech,
  type ScriptedToolCall,
  type ScriptedTurn,
} from './script.js';
export type {
  DisconnectFault,
  ErrorFault,
  FaultTrigger,
  GreetingFault,
  HandshakeFault,
  HandshakeFaultStatus,
  QwenSimulatorFaults,
  SessionFaults,
  SplitResponseFault,
  TranscriptionFault,
} from './faults.js';
export {
  DEFAULT_RESPONSE_TIMING,
  type EarlyEnd,
  type EndedEarlyStatus,
  type ResponseSummary,
  type ResponseTiming,
} from './responses.js';
export type {
  CommittedUserItem,
  ReceivedClientEvent,
  SessionEnd,
  SessionEndCause,
  SimulatedSession,
  ToolOutputRecord,
  WaitOptions,
} from './session-record.js';
export type { ServerEvent, ServerEventType, StatusDetails } from './server-events.js';
export type { ErrorDetail, LiveErrorDetail, WireErrorDetail } from './protocol-error.js';
export type { SessionConfig } from './session-config.js';
export {
  INPUT_SAMPLE_RATE_HZ,
  OUTPUT_SAMPLE_RATE_HZ,
  synthesizeSpeech,
  synthesizedDurationMs,
} from './speech-audio.js';
export { thresholdToDbfs } from './vad.js';
