/**
 * The start-up log line an operator reads first: which transports are on and the exact URLs to
 * give each platform. Secrets are never part of it.
 */
import type { Logger } from './log.js';
import { httpBase, wsBase } from './public-url.js';

export interface StartupFacts {
  publicBaseUrl: string | null;
  listen: { host: string; port: number };
  ops: { host: string; port: number } | null;
  platforms: { twilioVoiceWebhook: boolean; twilioRestTransfer: boolean; jambonzWebhook: boolean };
  paths: { twilioVoice: string; jambonzCall: string };
  sip: { drachtio: string; advertisedAddress: string; rtpPorts: string } | null;
}

export interface StartupSummary {
  transports: string[];
  urls: Record<string, string>;
  /** Things an operator should fix before pointing a platform here. */
  warnings: string[];
}

export function startupSummary(facts: StartupFacts): StartupSummary {
  // Without a public base the URLs name this listener; platforms need the public wss:// one.
  const placeholder = `//${facts.listen.host === '0.0.0.0' || facts.listen.host === '::' ? 'PUBLIC-HOST' : facts.listen.host}:${facts.listen.port}`;
  const pub = facts.publicBaseUrl ?? undefined;
  const ws = pub !== undefined ? wsBase(pub, undefined) : `wss:${placeholder}`;
  const http = pub !== undefined ? httpBase(pub, undefined) : `https:${placeholder}`;
  const urls: Record<string, string> = {
    twilioStream: `${ws}/media/twilio`,
    signalwireStream: `${ws}/media/signalwire`,
    audioForkStream: `${ws}/media/audio-fork`,
  };
  const transports = ['websocket-fork'];
  urls.twilioVoiceWebhook = facts.platforms.twilioVoiceWebhook ? `${http}${facts.paths.twilioVoice}` : 'off (set TWILIO_AUTH_TOKEN)';
  if (facts.platforms.jambonzWebhook) urls.jambonzCallingWebhook = `${http}${facts.paths.jambonzCall}`;
  const opsBase = facts.ops ? `http://${facts.ops.host}:${facts.ops.port}` : `http://${facts.listen.host}:${facts.listen.port}`;
  urls.metrics = `${opsBase}/metrics`;
  urls.readiness = `${opsBase}/readyz`;
  const warnings: string[] = [];
  if (facts.publicBaseUrl === null) {
    warnings.push(
      'PUBLIC_BASE_URL is not set: platforms must reach this bridge at a public wss:// address (a TLS proxy in front); the URLs above show PUBLIC-HOST where it goes',
    );
  }
  if (facts.platforms.twilioVoiceWebhook) {
    urls.twilioTransfer = facts.platforms.twilioRestTransfer
      ? 'Twilio REST (<Dial>)'
      : "agent's transfer webhook (set TWILIO_ACCOUNT_SID for Twilio REST)";
  }
  if (facts.sip) {
    transports.push('sip');
    urls.sip = `drachtio-server ${facts.sip.drachtio}; RTP ${facts.sip.advertisedAddress} ports ${facts.sip.rtpPorts}`;
  }
  return { transports, urls, warnings };
}

export function logStartupSummary(logger: Logger, facts: StartupFacts): void {
  const summary = startupSummary(facts);
  logger.info({ transports: summary.transports, urls: summary.urls }, 'where to point platforms');
  for (const warning of summary.warnings) logger.warn(warning);
}
