/**
 * One call's tools, opened when the call is admitted: the runner for the model's tool calls, the
 * keypad's digit sink and the transfer webhook. Per call because digit collection has state.
 */
import type { Logger } from 'pino';
import type { CallIdentity } from '../call/media-leg.js';
import { SensitiveValues, type ArgumentPath } from '../call/sensitive-values.js';
import type { CallTools, DigitAction, ToolOutcome } from '../call/tool-runner.js';
import type { BuiltinToolName } from './agent-file.js';
import { collectRequest, endCall, transferCall, type TransferTarget } from './builtin-tools.js';
import { DigitCollector } from './digit-collector.js';
import { digitRouter } from './digit-router.js';
import { transferByWebhook } from './transfer-webhook.js';
import type { WebhookEndpoint } from './webhook-client.js';
import { runWebhookTool, type WebhookCallContext, type WebhookTool } from './webhook-tool.js';

/** What an agent's tools are, compiled from its file at load. */
export interface AgentToolSpec {
  agentId: string;
  /** Built-ins offered to the model (none when its model cannot call tools). */
  builtins: ReadonlySet<BuiltinToolName>;
  /** Webhook tools offered to the model, by name. */
  webhooks: ReadonlyMap<string, WebhookTool>;
  targets: ReadonlyMap<string, TransferTarget>;
  transferTimeoutMs: number;
  transferWebhook?: WebhookEndpoint;
  keypad: ReadonlyMap<string, DigitAction>;
}

export interface CallToolOptions {
  /** Digits typed before collect_digits are kept this long. */
  typeAheadMs?: number;
  /** Webhook retry backoff (tests shorten it). */
  backoffMs?: number;
}

const DEFAULT_TYPE_AHEAD_MS = 15_000;

const none = (output: string): ToolOutcome => ({ output, then: { action: 'none' } });

export function openCallTools(
  spec: AgentToolSpec,
  call: { callId: string; identity: CallIdentity },
  logger: Logger,
  opts: CallToolOptions = {},
): CallTools {
  const log = logger.child({ callId: call.callId, agentId: spec.agentId });
  const context: WebhookCallContext = {
    callId: call.callId,
    externalId: call.identity.externalId,
    ...(call.identity.from !== undefined ? { from: call.identity.from } : {}),
    to: call.identity.to,
    agentId: spec.agentId,
  };
  const sensitive = new SensitiveValues(
    new Map<string, readonly ArgumentPath[]>([...spec.webhooks].map(([name, tool]) => [name, tool.sensitivePaths ?? []])),
  );
  const collector = new DigitCollector({ typeAheadMs: opts.typeAheadMs ?? DEFAULT_TYPE_AHEAD_MS });
  const transferWebhook = spec.transferWebhook;

  const tools: CallTools = {
    async run(name, args, ctx) {
      if (spec.builtins.has(name as BuiltinToolName)) {
        switch (name as BuiltinToolName) {
          case 'end_call':
            return endCall(args);
          case 'transfer_call':
            return transferCall(args, spec.targets, spec.transferTimeoutMs);
          case 'collect_digits': {
            const collected = await collector.collect(collectRequest(args), ctx.signal);
            // The digits go to the model only (not logs, not call records): they are often account numbers.
            log.info({ ended_by: collected.ended_by, count: collected.digits.length }, 'digits collected');
            // From now on the entry is masked wherever it turns up: another tool's arguments, a
            // webhook's answer, the agent reading it back.
            sensitive.add(collected.digits);
            const masked = { ...collected, digits: 'x'.repeat(collected.digits.length) };
            return { ...none(JSON.stringify(collected)), recordOutput: JSON.stringify(masked) };
          }
        }
      }
      const webhook = spec.webhooks.get(name);
      if (webhook) return none(await runWebhookTool(webhook, args, context, ctx.signal, log, opts.backoffMs));
      return none(JSON.stringify({ error: `unknown tool ${name}` }));
    },
    digits: digitRouter({ collector, keypad: spec.keypad, collectEnabled: spec.builtins.has('collect_digits') }),
    sensitive,
  };
  if (transferWebhook) {
    tools.transferWithoutLeg = (target, destination, ctx) => transferByWebhook(transferWebhook, context, target, destination, ctx.signal, log);
  }
  return tools;
}
