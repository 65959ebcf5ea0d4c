/**
 * The conversation as the caller experienced it. Caller turns come from the model's input
 * transcription (a separate ASR, arriving asynchronously); agent turns from the model's own
 * transcript of its audio. An agent turn that was barged into records how much the caller heard,
 * and the words up to that point, because that — not what the model generated — is what was said.
 */
export type TranscriptTurn =
  | { role: 'caller'; itemId: string; text: string; atMs: number }
  | {
      role: 'agent';
      responseId: string;
      text: string;
      atMs: number;
      /** Present when the caller interrupted this turn. */
      interrupted?: { heardMs: number; heardText: string };
    };

interface AgentDraft {
  turn: Extract<TranscriptTurn, { role: 'agent' }>;
  /** Transcript fragments with the generated-audio position (ms) at which each arrived. */
  pieces: Array<{ text: string; audioMs: number }>;
  generatedAudioMs: number;
}

export class Transcript {
  readonly turns: TranscriptTurn[] = [];
  readonly #drafts = new Map<string, AgentDraft>();
  readonly #callerTurns = new Map<string, Extract<TranscriptTurn, { role: 'caller' }>>();

  callerText(itemId: string, text: string, atMs: number): void {
    const known = this.#callerTurns.get(itemId);
    if (known) {
      // The service's final transcript is sometimes empty while its previews had the words:
      // an empty text never replaces words already heard.
      if (text !== '') known.text = text;
      return;
    }
    if (text === '') return;
    const turn = { role: 'caller' as const, itemId, text, atMs };
    this.#callerTurns.set(itemId, turn);
    this.turns.push(turn);
  }

  #draft(responseId: string, atMs: number): AgentDraft {
    let draft = this.#drafts.get(responseId);
    if (!draft) {
      const turn = { role: 'agent' as const, responseId, text: '', atMs };
      draft = { turn, pieces: [], generatedAudioMs: 0 };
      this.#drafts.set(responseId, draft);
      this.turns.push(turn);
    }
    return draft;
  }

  agentAudio(responseId: string, durationMs: number, atMs: number): void {
    this.#draft(responseId, atMs).generatedAudioMs += durationMs;
  }

  agentTextDelta(responseId: string, text: string, atMs: number): void {
    const draft = this.#draft(responseId, atMs);
    draft.pieces.push({ text, audioMs: draft.generatedAudioMs });
    if (!draft.turn.interrupted) draft.turn.text += text;
  }

  agentTextDone(responseId: string, text: string, atMs: number): void {
    const draft = this.#draft(responseId, atMs);
    // After an interruption the model's final transcript still holds words nobody heard; keep
    // the full text for reference but the heard text stays as recorded at the cut.
    draft.turn.text = text;
  }

  /**
   * The caller stopped hearing this response after `heardMs` of its audio. Text fragments are
   * aligned to audio by arrival order (the service interleaves them), so the heard text is an
   * estimate at fragment granularity.
   */
  agentInterrupted(responseId: string, heardMs: number, atMs: number): void {
    const draft = this.#draft(responseId, atMs);
    const heardText = draft.pieces
      .filter((piece) => piece.audioMs < heardMs)
      .map((piece) => piece.text)
      .join('');
    draft.turn.interrupted = { heardMs: Math.round(heardMs), heardText };
  }
}
