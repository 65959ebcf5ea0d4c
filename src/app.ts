/**
 * Composition root: the only place that constructs adapters and wires them to the call core.
 * `buildApp` returns an app that has not started; `start()` listens, `close()` drains and stops.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Srf from 'drachtio-srf';
import WebSocket from 'ws';
import { openAgentDirectory, type AgentDirectory } from './agent/agent-directory.js';
import { QWEN_INPUT_RATE_HZ, QWEN_OUTPUT_RATE_HZ } from './ai/qwen-audio-format.js';
import { createQwenConnector } from './ai/qwen-session.js';
import { createResamplerFactory } from './audio/resampler-factory.js';
import type { AiConnector } from './call/ai-session.js';
import type { CallSettings } from './call/call.js';
import type { CallRecord } from './call/call-record.js';
import { LocalSeats } from './call/call-seats.js';
import { CallRegistry } from './call/registry.js';
import { setupCluster } from './cluster-setup.js';
import type { Config } from './config/schema.js';
import { adminApi } from './http/admin-api.js';
import { callsApi } from './http/calls-api.js';
import { buildHttpServer, buildOpsServer } from './http/http-server.js';
import type { Logger } from './log.js';
import { attachForkServer } from './media/fork-server.js';
import { createMetrics } from './metrics.js';
import { ModelCheck } from './model-check.js';
import { setupPlatforms } from './platforms.js';
import { setupRecords } from './records-setup.js';
import { connectorPerRegion, regionsWithKeys } from './region-connectors.js';
import { startSipFrontEnd, type SipFrontEnd } from './sip/sip-front-end.js';
import type { SpawnRtpThread } from './sip/rtp/worker/spawn-rtp-thread.js';
import { asSrfApp } from './sip/srf-shapes.js';
import { logStartupSummary } from './startup-summary.js';
import { loadUnavailableRecording } from './unavailable-recording.js';

export interface AppOverrides {
  /** Replace the model connector (tests). */
  connectAi?: AiConnector;
  /** Create the drachtio-srf instance (tests inspect it). */
  createSrf?: () => Srf;
  /** Start the RTP I/O thread (tests reach the thread through it). */
  spawnRtpThread?: SpawnRtpThread;
}

export interface App {
  calls: CallRegistry;
  /** The agent profiles; `agents.reload()` re-reads the folder (SIGHUP, admin API). */
  agents: AgentDirectory;
  /** The SIP front end once started, when sip.enabled. */
  readonly sip: SipFrontEnd | undefined;
  /** Resolves with the bound HTTP address (and the ops listener's port, when ops.port is set). */
  start(): Promise<{ host: string; port: number; opsPort?: number }>;
  /**
   * Opens one short model session per (region, model) the agents use; true when all connected.
   * Until a check passes after a failure, /readyz is 503 and says why.
   */
  checkModel(): Promise<boolean>;
  /** Stop admitting calls, end live calls with `shutdown` after `graceMs`, close everything. */
  close(graceMs?: number): Promise<void>;
  onCallEnded(listener: (record: CallRecord) => void): void;
}

/**
 * The model connector the configuration describes: Qwen-Omni-Realtime, one client per region an
 * agent may use; undefined without an API key. (The SIP benchmark wraps it to time model events.)
 */
export function qwenConnector(config: Config, logger: Logger): AiConnector | undefined {
  if (!config.secrets.dashscopeApiKey) return undefined;
  return connectorPerRegion(config, (endpoint) =>
    createQwenConnector({
      url: endpoint.url,
      model: config.qwen.model,
      apiKey: endpoint.apiKey,
      ...(endpoint.workspaceId ? { workspaceId: endpoint.workspaceId } : {}),
      connectTimeoutMs: config.qwen.connectTimeoutMs,
      connectRetries: config.qwen.connectRetries,
      connectDeadlineMs: config.qwen.connectDeadlineMs,
      keepAliveIntervalMs: config.qwen.keepAliveIntervalMs,
      responseCreatedTimeoutMs: config.qwen.responseCreatedTimeoutMs,
      appendBatchMs: config.qwen.appendBatchMs,
      sessionCapMs: config.qwen.sessionCapMs,
      logger: logger.child({ component: 'qwen', region: endpoint.region }),
      createSocket: (url, headers) => new WebSocket(url, { headers, perMessageDeflate: false }),
    }),
  );
}

export function buildApp(config: Config, logger: Logger, overrides: AppOverrides = {}): App {
  const mediaToken = config.secrets.mediaToken;
  if (!mediaToken) {
    throw new Error('BRIDGE_MEDIA_TOKEN is not set: the media endpoint refuses to run without a secret');
  }
  const connectAi = overrides.connectAi ?? qwenConnector(config, logger);
  if (!connectAi) throw new Error('DASHSCOPE_API_KEY is not set (or run with --simulate)');

  const agents = openAgentDirectory(config.agentsPath, {
    defaultModel: config.qwen.model,
    // A replaced connector (tests) answers for every region.
    ...(overrides.connectAi ? {} : { regions: regionsWithKeys(config) }),
    logger: logger.child({ component: 'agents' }),
  });
  const settings: CallSettings = {
    playoutLeadMs: config.calls.playoutLeadMs,
    callerSilenceMs: config.calls.callerSilenceMs,
    mediaTimeoutMs: config.calls.mediaTimeoutMs,
    wrapUpLeadMs: config.calls.wrapUpLeadMs,
    drainTimeoutMs: config.calls.drainTimeoutMs,
    sessionCapMs: config.qwen.sessionCapMs,
    sessionCapMarginMs: config.calls.sessionCapMarginMs,
    rolloverLeadMs: config.calls.rolloverLeadMs,
    reconnectAttempts: config.calls.reconnectAttempts,
    reconnectDeadlineMs: config.calls.reconnectDeadlineMs,
    modelAudio: { inputRateHz: QWEN_INPUT_RATE_HZ, outputRateHz: QWEN_OUTPUT_RATE_HZ },
    realtimeBudget: { burstMs: config.calls.audioBurstMs, overrunCloseMs: config.calls.audioOverrunCloseMs },
  };
  const unavailableAudio = loadUnavailableRecording(config.calls.unavailable);
  // records.store: postgres makes this process a cluster member (shared records, live calls, quota).
  const cluster = config.records.store === 'postgres' ? setupCluster(config, logger) : undefined;
  const records = setupRecords(config, logger, cluster?.store);
  const maxSessions = config.qwen.maxConcurrentSessions;
  const calls = new CallRegistry({
    resolveAgent: (dialed, now) => agents.resolve(dialed, now),
    maxConcurrentCalls: config.calls.maxConcurrent,
    settings,
    connectAi,
    createResampler: createResamplerFactory(config.calls.resampler),
    logger,
    newCallId: randomUUID,
    createAudioTap: (callId, _identity, _agent, sampleRateHz) => records.createAudioTap?.(callId, sampleRateHz),
    ...(unavailableAudio ? { unavailableAudio } : {}),
    ...(cluster ? { seats: cluster.seats } : maxSessions > 0 ? { seats: new LocalSeats(maxSessions) } : {}),
    quotaKey: (agent) => agent.profile.region ?? config.qwen.region,
  });
  cluster?.attach(calls);
  const metrics = createMetrics(calls);
  records.attach(calls, metrics.records);

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
      ...(overrides.spawnRtpThread ? { spawnRtpThread: overrides.spawnRtpThread } : {}),
    });
  };
  const modelCheck = new ModelCheck(connectAi, () => agents.agents.map((a) => a.profile), config.qwen.region, logger.child({ component: 'model-check' }));
  const httpDeps = {
    calls,
    metrics: metrics.registry,
    readinessChecks: [
      () => ({ ok: !sip || sip.link.state === 'connected', detail: `drachtio-server ${sip?.link.state ?? 'off'}` }),
      () => modelCheck.readiness(),
    ],
  };
  const http = buildHttpServer({ ...httpDeps, serveMetrics: config.ops.port === null });
  const ops = config.ops.port === null ? undefined : buildOpsServer(httpDeps);
  const platforms = setupPlatforms(config, http, (to) => calls.refusal(to), logger);
  const adminToken = config.secrets.adminToken;
  if (adminToken) {
    void http.register(callsApi, { store: records.store, adminToken });
    void http.register(adminApi, {
      calls,
      adminToken,
      logger: logger.child({ component: 'admin' }),
      reloadAgents: () => agents.reload(),
      ...(cluster ? { cluster: cluster.admin } : {}),
    });
  } else {
    logger.warn('BRIDGE_ADMIN_TOKEN is not set: the admin and call-records APIs (/admin/*, /calls) are not served');
  }
  const fork = attachForkServer(http.server, {
    admit: calls.admit,
    logger: logger.child({ component: 'media' }),
    authToken: mediaToken,
    ...(config.secrets.twilioAuthToken ? { twilioAuthToken: config.secrets.twilioAuthToken } : {}),
    ...(platforms.twilioTransfer ? { twilioTransfer: platforms.twilioTransfer } : {}),
    ...(config.media.publicBaseUrl ? { publicBaseUrl: config.media.publicBaseUrl } : {}),
    startTimeoutMs: config.media.startTimeoutMs,
    maxFrameBytes: config.media.maxFrameBytes,
    authFailureLimits: { burst: config.media.authFailureBurst, perMinute: config.media.authFailuresPerMinute },
  });
  metrics.forkEndpoint(() => fork.counts());

  let closing: Promise<void> | undefined;
  let endGrace: () => void = () => undefined;
  return {
    calls,
    agents,
    onCallEnded: (listener) => calls.on('ended', listener),
    get sip() {
      return sip;
    },
    async start() {
      // Schema and membership first: a process that cannot reach the cluster's database must not take calls.
      await cluster?.start();
      sip = startSip();
      records.start();
      await http.listen({ host: config.http.host, port: config.http.port });
      const address = http.server.address() as AddressInfo;
      let opsAddress: AddressInfo | undefined;
      if (ops && config.ops.port !== null) {
        await ops.listen({ host: config.ops.host, port: config.ops.port });
        opsAddress = ops.server.address() as AddressInfo;
      }
      logger.info({ host: address.address, port: address.port, agents: agents.agents.length }, 'bridge listening');
      logStartupSummary(logger, {
        publicBaseUrl: config.media.publicBaseUrl,
        listen: { host: address.address, port: address.port },
        ops: opsAddress ? { host: opsAddress.address, port: opsAddress.port } : null,
        platforms: platforms.summary,
        paths: platforms.paths,
        sip: sip ? { drachtio: `${config.sip.host}:${config.sip.port}`, advertisedAddress: sip.advertisedAddress, rtpPorts: `${config.sip.rtp.portMin}-${config.sip.rtp.portMax}/udp` } : null,
      });
      return { host: address.address, port: address.port, ...(opsAddress ? { opsPort: opsAddress.port } : {}) };
    },
    checkModel: () => modelCheck.run(),
    close(graceMs = 0) {
      // A second close (a second SIGTERM) cuts the grace short; the rest still runs, so the calls
      // it ends still get their records written.
      if (closing !== undefined) {
        endGrace();
        return closing;
      }
      closing = closeNow(graceMs);
      return closing;
    },
  };

  async function closeNow(graceMs: number): Promise<void> {
    modelCheck.close();
    calls.drain();
    if (calls.size > 0 && graceMs > 0) {
      logger.info({ activeCalls: calls.size, graceMs }, 'draining');
      await Promise.race([
        calls.whenIdle(),
        new Promise<void>((resolve) => {
          setTimeout(resolve, graceMs).unref();
          endGrace = resolve;
        }),
      ]);
    }
    await calls.hangupAll('shutdown');
    await sip?.close();
    await fork.close();
    await http.close();
    await ops?.close();
    await records.close();
    await cluster?.close();
  }
}
