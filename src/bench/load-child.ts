/**
 * The benchmark's handle on the load driver child process (load-driver.ts): a `ChildRpc` speaking
 * load-protocol.ts, whose ready message carries where the fake model listens (`ready.modelUrl`).
 */
import { fileURLToPath } from 'node:url';
import { ChildRpc } from './child-rpc.js';
import type { DriverCalls, DriverReady } from './load-protocol.js';

const DRIVER_PATH = fileURLToPath(new URL('./load-driver.ts', import.meta.url));

export type LoadChild = ChildRpc<DriverCalls, DriverReady>;

/** Starts the driver; it exits by itself after `maxLifetimeMs` even if this process hangs. */
export function spawnLoadChild(maxLifetimeMs: number): Promise<LoadChild> {
  return ChildRpc.spawn<DriverCalls, DriverReady>({ path: DRIVER_PATH, label: 'load driver', maxLifetimeMs });
}
