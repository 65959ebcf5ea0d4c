/**
 * Caller transcription (§6.8–6.10). Each delta carries the whole preview as `text` (confirmed,
 * never changes) + `stash` (provisional tail, may be revised): a client must replace its preview
 * with text + stash on every delta, not append. The simulator's previews grow the confirmed part
 * and, on the way, show one provisional word that the next preview corrects, so a client that
 * appends deltas or treats the stash as final shows the wrong words.
 *
 * Live mode (S-7): clients of the live service see `text` always empty and the whole preview so
 * far in `stash` (the same text + stash, so the replace rule still works); some see the previews
 * as `...transcription.text` events instead of `.delta`; and the final `.completed` transcript is
 * sometimes empty, when only the previews carried the words.
 */
import { randomBytes } from 'node:crypto';
import type { ServerEventBody } from './server-events.js';

export interface TranscriptPreview {
  text: string;
  stash: string;
}

/** Previews for a transcript: about a third, then two thirds (with a misheard last word), then all. */
export function transcriptPreviews(transcript: string): TranscriptPreview[] {
  const words = transcript.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length <= 1) return [{ text: '', stash: transcript.trim() }, { text: transcript.trim(), stash: '' }];
  const oneThird = Math.max(1, Math.floor(words.length / 3));
  const twoThirds = Math.max(oneThird + 1, Math.floor((2 * words.length) / 3));
  const join = (list: string[]): string => list.join(' ');
  const tail = (list: string[]): string => (list.length === 0 ? '' : ` ${join(list)}`);
  return [
    { text: '', stash: join(words.slice(0, oneThird)) },
    // This provisional tail ends in a word the final transcript does not contain.
    { text: join(words.slice(0, oneThird)), stash: tail([...words.slice(oneThird, twoThirds - 1), 'uh']) },
    { text: join(words.slice(0, twoThirds)), stash: tail(words.slice(twoThirds)) },
    { text: join(words), stash: '' },
  ];
}

/** Opaque padding the service adds to deltas; its content means nothing. */
function obfuscation(): string {
  return randomBytes(6).toString('base64url');
}

export interface PreviewStyle {
  /** Live: `text` empty, `stash` cumulative. */
  stashOnly: boolean;
  eventType: 'delta' | 'text';
}

const DOCUMENTED_PREVIEWS: PreviewStyle = { stashOnly: false, eventType: 'delta' };

export function transcriptionDeltas(
  itemId: string,
  transcript: string,
  style: PreviewStyle = DOCUMENTED_PREVIEWS,
): ServerEventBody[] {
  const previews = transcriptPreviews(transcript).map((p) =>
    style.stashOnly ? { text: '', stash: `${p.text}${p.stash}` } : p,
  );
  const type =
    style.eventType === 'text'
      ? ('conversation.item.input_audio_transcription.text' as const)
      : ('conversation.item.input_audio_transcription.delta' as const);
  return previews.map((preview) => ({
    type,
    item_id: itemId,
    content_index: 0,
    text: preview.text,
    stash: preview.stash,
    language: 'en',
    emotion: 'neutral',
    obfuscation: obfuscation(),
  }));
}

export function transcriptionCompleted(itemId: string, transcript: string): ServerEventBody {
  return {
    type: 'conversation.item.input_audio_transcription.completed',
    item_id: itemId,
    content_index: 0,
    transcript,
  };
}

export function transcriptionFailed(itemId: string): ServerEventBody {
  return {
    type: 'conversation.item.input_audio_transcription.failed',
    item_id: itemId,
    content_index: 0,
    error: { code: 'transcription_failed', message: 'Simulated transcription failure.', param: '' },
  };
}
