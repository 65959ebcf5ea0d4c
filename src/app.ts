/**
 * Composition root: the only place that constructs adapters and wires them to the call core.
 * `buildApp` returns an app that has not started; `start()` listens, `close()` drains and stops.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Srf from 'drachtio-srf';
import WebSocket from 'ws';
import { loadAgents } from './agent/load-agents.js';
import { createQwenConnector } from './ai/qwen-session.js';
import { createResamplerFactory } from './audio/resampler-factory.js';
import type { AiConnector } from './call/ai-session.js';
import type { CallSettings } from './call/call.js';
import type { CallRecord } from './call/call-record.js';
import { CallRegistry } from './call/registry.js';
import { qwenEndpoint } from './config/load.js';
import type { Config } from './config/schema.js';
import { buildHttpServer } from './http/http-server.js';
import type { Logger } from './log.js';
import { attachForkServer } from './media/fork-server.js';
import { createMetrics } from './metrics.js';
import { startSipFrontEnd, type SipFrontEnd } from './sip/sip-front-end.js';
import { asSrfApp } from './sip/srf-shapes.js';

export interface AppOverrides {
  /** Replace the model connector (tests). */
  connectAi?: AiConnector;
  /** Create the drachtio-srf instance (tests inspect it). */
  createSrf?: () => Srf;
}

export interface App {
  calls: CallRegistry;
  /** The SIP front end once started, when sip.enabled. */
  readonly sip: SipFrontEnd | undefined;
  /** Resolves with the bound HTTP address. */
  start(): Promise<{ host: string; port: number }>;
  /** Stop admitting calls, end live calls with `shutdown` after `graceMs`, close everything. */
  close(graceMs?: number): Promise<void>;
  onCallEnded(listener: (record: CallRecord) => void): void;
}

export function buildApp(config: Config, logger: Logger, overrides: AppOverrides = {}): App {
  const mediaToken = config.secrets.mediaToken;
  if (!mediaToken) {
    throw new Error('BRIDGE_MEDIA_TOKEN is not set: the media endpoint refuses to run without a secret');
  }
  const apiKey = config.secrets.dashscopeApiKey;
  const connectAi =
    overrides.connectAi ??
    (apiKey
      ? createQwenConnector({
          url: qwenEndpoint(config),
          model: config.qwen.model,
          apiKey,
          ...(config.qwen.workspaceId ? { workspaceId: config.qwen.workspaceId } : {}),
          connectTimeoutMs: config.qwen.connectTimeoutMs,
          appendBatchMs: config.qwen.appendBatchMs,
          sessionCapMs: config.qwen.sessionCapMs,
          logger: logger.child({ component: 'qwen' }),
          createSocket: (url, headers) => new WebSocket(url, { headers, perMessageDeflate: false }),
        })
      : undefined);
  if (!connectAi) throw new Error('DASHSCOPE_API_KEY is not set (or run with --simulate)');

  const agents = loadAgents(config.agentsPath, config.qwen.model);
  const settings: CallSettings = {
    playoutLeadMs: config.calls.playoutLeadMs,
    callerSilenceMs: config.calls.callerSilenceMs,
    mediaTimeoutMs: config.calls.mediaTimeoutMs,
    wrapUpLeadMs: config.calls.wrapUpLeadMs,
    drainTimeoutMs: config.calls.drainTimeoutMs,
    sessionCapMs: config.qwen.sessionCapMs,
    sessionCapMarginMs: config.calls.sessionCapMarginMs,
  };
  const calls = new CallRegistry({
    resolveAgent: agents.resolve,
    maxConcurrentCalls: config.calls.maxConcurrent,
    settings,
    connectAi,
    createResampler: createResamplerFactory(config.calls.resampler),
    logger,
    newCallId: randomUUID,
  });
  const metrics = createMetrics(calls);

  let sip: SipFrontEnd | undefined;
  const startSip = (): SipFrontEnd | undefined => {
    if (!config.sip.enabled) return undefined;
    const secret = config.secrets.drachtioSecret;
    if (!secret) throw new Error('sip.enabled is true but DRACHTIO_SECRET is not set');
    return startSipFrontEnd({
      srf: asSrfApp(overrides.createSrf?.() ?? new Srf()),
      drachtio: { host: config.sip.host, port: config.sip.port, secret, reconnectMaxDelayMs: config.sip.reconnectMaxDelayMs },
      allowFrom: config.sip.allowFrom,
      busyStatus: config.sip.busyStatus,
      rtp: config.sip.rtp,
      refusal: (to) => calls.refusal(to),
      admit: calls.admit,
      logger: logger.child({ component: 'sip' }),
      onRefused: (status) => metrics.sipRefused(status),
    });
  };
  const http = buildHttpServer({
    calls,
    metrics: metrics.registry,
    readinessChecks: [
      () => ({ ok: !sip || sip.link.state === 'connected', detail: `drachtio-server ${sip?.link.state ?? 'off'}` }),
    ],
  });
  const fork = attachForkServer(http.server, {
    admit: calls.admit,
    logger: logger.child({ component: 'media' }),
    authToken: mediaToken,
    ...(config.secrets.twilioAuthToken ? { twilioAuthToken: config.secrets.twilioAuthToken } : {}),
    ...(config.media.publicBaseUrl ? { publicBaseUrl: config.media.publicBaseUrl } : {}),
    startTimeoutMs: config.media.startTimeoutMs,
    maxFrameBytes: config.media.maxFrameBytes,
  });

  return {
    calls,
    onCallEnded: (listener) => calls.on('ended', listener),
    get sip() {
      return sip;
    },
    async start() {
      sip = startSip();
      await http.listen({ host: config.http.host, port: config.http.port });
      const address = http.server.address() as AddressInfo;
      logger.info({ host: address.address, port: address.port, agents: agents.agents.length }, 'bridge listening');
      return { host: address.address, port: address.port };
    },
    async close(graceMs = 0) {
      calls.drain();
      if (calls.size > 0 && graceMs > 0) {
        logger.info({ activeCalls: calls.size, graceMs }, 'draining');
        await Promise.race([calls.whenIdle(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
      }
      await calls.hangupAll('shutdown');
      sip?.close();
      await fork.close();
      await http.close();
    },
  };
}
