/**
 * The parts of drachtio-srf 5 this adapter uses, typed as they behave at runtime. The bundled
 * `.d.ts` is wrong in places (connect() is not a promise, Dialog lacks `id`, destroy() returns a
 * promise, request() takes plain options, `localSdp` may be a function), so the one cast from the
 * library's types lives here and everything else is typed against these shapes.
 */
import type { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';

export interface SipRequest extends EventEmitter {
  readonly method: string;
  readonly body: string;
  readonly source_address: string;
  readonly calledNumber: string;
  readonly callingNumber: string;
  readonly uri: string;
  get(name: string): string | undefined;
  has(name: string): boolean;
}

export interface SipResponse {
  send(status: number, opts?: { headers?: Record<string, string>; body?: string }): void;
  send(status: number, reason: string, opts: { headers?: Record<string, string>; body?: string }): void;
  readonly finalResponseSent: boolean;
}

export interface SipDialog extends EventEmitter {
  /** drachtio-server's dialog id: `<Call-ID>;from-tag=<caller's From tag>`. */
  readonly id: string;
  readonly connected: boolean;
  readonly local: { uri: string; sdp: string; contact: string };
  readonly remote: { uri: string; sdp: string };
  readonly sip: { callId: string; localTag: string; remoteTag: string };
  /** Sends BYE; resolves with the BYE request once any response has arrived. */
  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
  /** Resolves with the first response, whatever its status (a 100 included). */
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; reason?: string }>;
}

export interface SrfApp extends EventEmitter {
  connect(opts: {
    host: string;
    port: number;
    secret: string;
    reconnect?: { retryMaxDelay?: number; maxAttempts?: number; connectTimeout?: number };
  }): unknown;
  disconnect(): void;
  invite(handler: (req: SipRequest, res: SipResponse) => void): void;
  options(handler: (req: SipRequest, res: SipResponse) => void): void;
  createUAS(req: SipRequest, res: SipResponse, opts: { localSdp: string; headers?: Record<string, string> }): Promise<SipDialog>;
}

/** View a drachtio-srf instance through the shapes above. */
export function asSrfApp(srf: Srf): SrfApp {
  return srf as unknown as SrfApp;
}
