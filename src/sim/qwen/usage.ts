/**
 * The `usage` block of `response.done` (§6.18, §10). Audio converts to tokens at the family's
 * rate per second, with anything shorter than 1 s billed as 1 s. Every response re-reads the whole
 * context, so input tokens grow over the call: the meter keeps the conversation's history.
 * Text tokens are an estimate (one per four characters); no client should depend on exact counts.
 */
import type { FamilyTraits } from './model-family.js';

export interface Usage {
  total_tokens: number;
  input_tokens: number;
  output_tokens: number;
  input_tokens_details: { text_tokens: number; audio_tokens: number };
  output_tokens_details: { text_tokens: number; audio_tokens?: number };
}

export function estimateTextTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

export function audioTokens(durationMs: number, tokensPerSecond: number): number {
  if (durationMs <= 0) return 0;
  return Math.round((Math.max(durationMs, 1000) / 1000) * tokensPerSecond);
}

export interface ResponseOutput {
  text: string;
  /** Audio sent to the client; undefined when the response had no audio part (tool call, text modality). */
  audioMs: number | undefined;
}

export class UsageMeter {
  private historyAudioTokens = 0;
  private historyTextTokens = 0;

  constructor(private readonly traits: FamilyTraits) {}

  addUserAudio(durationMs: number): void {
    this.historyAudioTokens += audioTokens(durationMs, this.traits.inputAudioTokensPerSecond);
  }

  addHistoryText(text: string): void {
    this.historyTextTokens += estimateTextTokens(text);
  }

  /** Usage of one response given the current instructions; the output then joins the history. */
  completeResponse(instructions: string, output: ResponseOutput): Usage {
    const inputText = estimateTextTokens(instructions) + this.historyTextTokens;
    const inputAudio = this.historyAudioTokens;
    const outputText = estimateTextTokens(output.text);
    const outputAudio =
      output.audioMs === undefined ? undefined : audioTokens(output.audioMs, this.traits.outputAudioTokensPerSecond);
    const inputTokens = inputText + inputAudio;
    const outputTokens = outputText + (outputAudio ?? 0);
    this.addHistoryText(output.text);
    return {
      total_tokens: inputTokens + outputTokens,
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      input_tokens_details: { text_tokens: inputText, audio_tokens: inputAudio },
      output_tokens_details:
        outputAudio === undefined
          ? { text_tokens: outputText }
          : { text_tokens: outputText, audio_tokens: outputAudio },
    };
  }
}
