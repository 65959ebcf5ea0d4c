/**
 * One tool call of the model, run for the call: the arguments parsed (a parse error never quotes
 * them: they may hold what the caller typed), sensitive values registered before anything is
 * logged, the agent's tool run, and a failure turned into a short error the model can apologise
 * for. The call records the result and hands the output back to the model.
 */
import type { Logger } from 'pino';
import type { SensitiveValues } from './sensitive-values.js';
import type { AfterSpeaking, CallTools, ToolContext } from './tool-runner.js';

export interface ToolCallResult {
  /** For the model. */
  output: string;
  /** For the record (masked where the tool says so). */
  recordOutput: string;
  then: AfterSpeaking;
}

export async function runToolCall(
  name: string,
  rawArgs: string,
  deps: { tools: CallTools; sensitive: SensitiveValues; log: Logger; context: ToolContext },
): Promise<ToolCallResult> {
  const text = rawArgs.trim();
  try {
    let args: unknown;
    try {
      args = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new Error(`${name}: the arguments are not valid JSON (${text.length} characters)`);
    }
    // Before the tool runs: its sensitive values must be masked in anything logged meanwhile.
    deps.sensitive.addArguments(name, args);
    deps.log.debug({ tool: name, arguments: deps.sensitive.maskArguments(name, rawArgs) }, 'tool call arguments');
    const outcome = await deps.tools.run(name, args, deps.context);
    return { output: outcome.output, recordOutput: outcome.recordOutput ?? outcome.output, then: outcome.then };
  } catch (err) {
    // The call carries on.
    const output = JSON.stringify({ error: err instanceof Error ? err.message : String(err) });
    deps.log.warn({ tool: name, detail: deps.sensitive.maskText(output) }, 'tool failed');
    return { output, recordOutput: output, then: { action: 'none' } };
  }
}
