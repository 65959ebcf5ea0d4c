/**
 * The SIP benchmark's handle on its RTP peers child process (rtp-peers.ts): a `ChildRpc` speaking
 * rtp-peers-protocol.ts. Calls made without a time limit of their own get 10 s.
 */
import { fileURLToPath } from 'node:url';
import { ChildRpc } from './child-rpc.js';
import type { RtpPeersCalls } from './rtp-peers-protocol.js';

const PEERS_PATH = fileURLToPath(new URL('./rtp-peers.ts', import.meta.url));

export type RtpPeersChild = ChildRpc<RtpPeersCalls>;

/** Starts the child; it exits by itself after `maxLifetimeMs` even if this process hangs. */
export function spawnRtpPeers(maxLifetimeMs: number): Promise<RtpPeersChild> {
  return ChildRpc.spawn<RtpPeersCalls>({ path: PEERS_PATH, label: 'rtp peers', maxLifetimeMs, defaultCallTimeoutMs: 10_000 });
}
