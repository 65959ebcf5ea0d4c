/**
 * What the service kept of our session.update. `session.updated` echoes the effective
 * configuration, and the live service drops what a model does not support without an error
 * (qwen3-omni-flash answers `tools` with `tools: null`). A difference is not fatal, but an agent
 * whose end_call silently vanished must show up in the log at connect, not after a week of calls.
 *
 * The echo does not prove support: a voice is echoed verbatim even when the model cannot speak
 * it (that fails at the first answer). Only what the echo leaves out or changes is reported.
 */
import type { QwenSessionConfig } from './qwen-client-events.js';
import type { SessionEchoFields } from './qwen-events.js';

export function echoDifferences(sent: QwenSessionConfig, echo: SessionEchoFields): string[] {
  const differences: string[] = [];
  if (sent.tools !== undefined && echo.toolNames !== undefined) {
    const kept = new Set(echo.toolNames ?? []);
    const dropped = sent.tools.map((t) => t.function.name).filter((name) => !kept.has(name));
    if (dropped.length > 0) differences.push(`tools dropped by the service: ${dropped.join(', ')}`);
  }
  if (echo.turnDetectionType !== undefined && echo.turnDetectionType !== sent.turn_detection.type) {
    differences.push(`turn_detection.type is ${echo.turnDetectionType ?? 'off'}, not ${sent.turn_detection.type}`);
  }
  const idleSent = sent.turn_detection.type === 'server_vad' ? sent.turn_detection.idle_timeout_ms : undefined;
  if (idleSent !== undefined && echo.idleTimeoutMs !== undefined && echo.idleTimeoutMs !== idleSent) {
    differences.push(`turn_detection.idle_timeout_ms ${idleSent} not kept (echo: ${echo.idleTimeoutMs ?? 'none'})`);
  }
  if (echo.voice !== undefined && echo.voice !== null && echo.voice !== sent.voice) {
    differences.push(`voice is ${echo.voice}, not ${sent.voice}`);
  }
  if (sent.input_audio_transcription !== null && echo.transcriptionModel === null) {
    differences.push('caller transcription is off');
  }
  return differences;
}
