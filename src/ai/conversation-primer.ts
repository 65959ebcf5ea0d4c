/**
 * How a new session learns the conversation it takes over: through its instructions, which every
 * model family accepts (user text items exist only on qwen3.5/3.8, and the model would take them
 * as a new turn to answer). The transcript is compact: the latest turns, each cut short, so the
 * instructions stay far below the context the model keeps.
 */
import type { ConversationPrimer } from '../call/ai-session.js';

const MAX_TURNS = 16;
const MAX_CHARS_PER_TURN = 300;

export function instructionsWithConversation(instructions: string, primer: ConversationPrimer): string {
  const turns = primer.turns.filter((t) => t.text.trim() !== '').slice(-MAX_TURNS);
  const lines = turns.map((t) => {
    const text = t.text.trim().replace(/\s+/g, ' ');
    const cut = text.length > MAX_CHARS_PER_TURN ? `${text.slice(0, MAX_CHARS_PER_TURN)}…` : text;
    return `${t.role === 'caller' ? 'Caller' : 'You'}: ${cut}`;
  });
  const history = lines.length > 0 ? `\nThe conversation so far (most recent last):\n${lines.join('\n')}` : '';
  return (
    `${instructions.trimEnd()}\n\n` +
    'This phone call is already in progress: a technical problem interrupted it and you are taking it over now. ' +
    `Do not greet the caller again or introduce yourself.${history}`
  );
}
