/**
 * The simulator set up for `probe --simulate`: its live-like mode, a script in which the recorded
 * question makes the model call lookup_order and answer at length (so the barge-in has something
 * to cut), and an idle close short enough to test the keep-alive in seconds.
 */
import { startQwenSimulator, type QwenSimulator } from '../sim/qwen/server.js';

export interface ProbeSimulator {
  url: string;
  keepAliveIntervalMs: number;
  holdMs: number;
  close(): Promise<void>;
}

const IDLE_CLOSE_MS = 2_000;

export async function startProbeSimulator(apiKey: string): Promise<ProbeSimulator> {
  const sim: QwenSimulator = await startQwenSimulator({
    apiKey,
    idleCloseMs: IDLE_CLOSE_MS,
    script: {
      turns: [
        {
          callerTranscript: "Hi, I'd like to check the status of my order.",
          reply: {
            preamble: { text: 'Let me look that up.' },
            toolCall: { name: 'lookup_order', arguments: {} },
            afterTool: {
              text: 'Let me check. Your order shipped yesterday and is now with the courier. It should arrive on Thursday morning.',
              audio: 'agent-order-status',
            },
          },
        },
        { callerTranscript: 'Sorry, actually, what are your opening hours?', reply: { text: "We're open weekdays, nine to six.", audio: 'agent-opening-hours' } },
      ],
    },
  });
  return { url: sim.url, keepAliveIntervalMs: IDLE_CLOSE_MS / 2, holdMs: IDLE_CLOSE_MS * 3, close: () => sim.close() };
}
