/**
 * The SIP front end: drachtio-srf handlers (INVITE, OPTIONS), the connection to drachtio-server,
 * RTP ports and what runs the RTP streams (the RTP I/O thread, or the main event loop when
 * `sip.rtp.sendThread` is `main`). Handlers are registered before connecting, because
 * drachtio-srf re-sends every route when one is added later and the server would then count
 * this process twice in its round-robin.
 */
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { MediaAdmission } from '../call/media-leg.js';
import type { RejectReason } from '../call/registry.js';
import { connectDrachtio, type DrachtioLink } from './drachtio-link.js';
import { createInviteHandler } from './invite-handler.js';
import { MainThreadRtp } from './rtp/main-thread-rtp.js';
import { RtpPortAllocator } from './rtp/port-allocator.js';
import type { RtpStreams } from './rtp/rtp-stream.js';
import type { SpawnRtpThread } from './rtp/worker/spawn-rtp-thread.js';
import { WorkerRtp } from './rtp/worker/worker-rtp.js';
import { SourceAllowList } from './source-allow-list.js';
import type { SrfApp } from './srf-shapes.js';

export interface SipFrontEndOptions {
  srf: SrfApp;
  drachtio: { host: string; port: number; secret: string; reconnectMaxDelayMs: number };
  allowFrom: readonly string[];
  busyStatus: 486 | 503;
  rtp: {
    bindAddress: string;
    advertisedAddress: string | null;
    portMin: number;
    portMax: number;
    idleAudio: 'silence' | 'none';
    /** Where RTP runs: the RTP I/O thread (default), or the main event loop. */
    sendThread?: 'worker' | 'main';
  };
  /** Starts the RTP I/O thread (tests wrap it to reach the thread). */
  spawnRtpThread?: SpawnRtpThread;
  refusal: (dialedNumber: string) => RejectReason | undefined;
  admit: MediaAdmission;
  logger: Logger;
  onRefused?: (status: number, reason: string) => void;
}

export interface SipFrontEnd {
  readonly link: DrachtioLink;
  readonly advertisedAddress: string;
  readonly rtpPortsInUse: () => number;
  /** The calls' RTP streams: which thread runs them, and what it holds. */
  readonly rtp: RtpStreams;
  /** Disconnects from drachtio-server and stops the RTP streams (ending the RTP thread). */
  close(): Promise<void>;
}

/** The address to put in SDP: configured, else the bind address, else the first external IPv4. */
export function resolveAdvertisedAddress(configured: string | null, bindAddress: string): string {
  if (configured) return configured;
  if (bindAddress !== '0.0.0.0' && bindAddress !== '::') return bindAddress;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}

const EMPTY_ALLOW_LIST =
  'sip.allowFrom is empty: list the addresses (CIDR) of the carriers, SBCs or PBXs that may send INVITEs, ' +
  'or write ["0.0.0.0/0", "::/0"] to accept INVITEs from anywhere (each call opens a paid model session)';

export function startSipFrontEnd(opts: SipFrontEndOptions): SipFrontEnd {
  const log = opts.logger;
  const allowList = new SourceAllowList(opts.allowFrom);
  if (allowList.empty) throw new Error(EMPTY_ALLOW_LIST);
  if (allowList.allowsAll)
    log.warn({ allowFrom: opts.allowFrom }, 'sip.allowFrom lets in any address: every INVITE from the internet opens a paid model session');
  const allocator = new RtpPortAllocator({ minPort: opts.rtp.portMin, maxPort: opts.rtp.portMax });
  const streamSettings = { localAddress: opts.rtp.bindAddress, idleAudio: opts.rtp.idleAudio, allocator };
  const streams: RtpStreams =
    (opts.rtp.sendThread ?? 'worker') === 'worker'
      ? new WorkerRtp({ ...streamSettings, logger: log, ...(opts.spawnRtpThread ? { spawn: opts.spawnRtpThread } : {}) })
      : new MainThreadRtp(streamSettings);
  const advertisedAddress = resolveAdvertisedAddress(opts.rtp.advertisedAddress, opts.rtp.bindAddress);

  opts.srf.invite(
    createInviteHandler({
      srf: opts.srf,
      refusal: opts.refusal,
      admit: opts.admit,
      allowList,
      busyStatus: opts.busyStatus,
      rtp: { advertisedAddress, streams },
      logger: log,
      ...(opts.onRefused ? { onRefused: opts.onRefused } : {}),
    }),
  );
  // Carriers and SBCs probe with OPTIONS; drachtio-server answers 503 for methods nobody routed.
  opts.srf.options((req, res) => {
    res.send(allowList.allows(req.source_address) ? 200 : 403);
  });

  const link = connectDrachtio({ srf: opts.srf, ...opts.drachtio, logger: log });
  log.info({ advertisedAddress, rtpPorts: `${opts.rtp.portMin}-${opts.rtp.portMax}`, rtpThread: streams.thread }, 'SIP front end started');
  return {
    link,
    advertisedAddress,
    rtpPortsInUse: () => allocator.inUse,
    rtp: streams,
    close: async () => {
      link.close();
      await streams.close();
    },
  };
}
