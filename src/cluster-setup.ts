/**
 * The cluster side of the bridge (records.store: postgres), built from configuration: the shared
 * pool, the schema migrations, the call-records store, model-session seats counted across every
 * process, this process's lease, and the control channel that brings hang-ups and drains to the
 * process that must act. The composition root (app.ts) asks for it once, hands the store to the
 * records setup, the seats to the registry, the admin view to the HTTP server.
 */
import { hostname } from 'node:os';
import type { CallSeats } from './call/call-seats.js';
import type { EndReason } from './call/end-reason.js';
import { listClusterCalls, listInstances, ownerOf } from './cluster/cluster-calls.js';
import { ALL_INSTANCES, listenForControl, sendControl, type ControlChannel, type ControlMessage } from './cluster/control-channel.js';
import { instanceLease, type InstanceLease } from './cluster/instance-lease.js';
import { PostgresSeats } from './cluster/postgres-seats.js';
import type { Config } from './config/schema.js';
import type { ClusterAdmin } from './http/admin-api.js';
import type { Logger } from './log.js';
import { migratePostgres } from './postgres/postgres-migrations.js';
import { loggableDatabaseUrl, openPostgresPool } from './postgres/postgres-pool.js';
import type { CallStore } from './call/call-store.js';
import { openPostgresCallStore } from './records/postgres-call-store.js';

/** What the control channel acts on in this process. */
export interface LocalCalls {
  get(callId: string): { hangup(reason: EndReason): Promise<void>; readonly state: string } | undefined;
  drain(): void;
  readonly draining: boolean;
}

export interface ClusterSetup {
  instanceId: string;
  store: CallStore;
  seats: CallSeats;
  admin: ClusterAdmin;
  /** Connects the control channel to this process's calls. */
  attach(calls: LocalCalls): void;
  /** Migrate, register, listen; rejects when the database cannot be reached. */
  start(): Promise<void>;
  /** Stop renewing, leave the cluster, close the pool (after the records were written). */
  close(): Promise<void>;
}

/** The control channel must be listening this soon after start, or the process does not start. */
const CONTROL_READY_TIMEOUT_MS = 10_000;

export function setupCluster(config: Config, logger: Logger): ClusterSetup {
  const url = config.secrets.databaseUrl;
  if (!url) throw new Error('records.store is postgres but DATABASE_URL is not set');
  const log = logger.child({ component: 'cluster' });
  const instanceId = config.cluster.instanceId ?? `${hostname()}:${process.pid}`;
  const { leaseMs } = config.cluster;
  const pool = openPostgresPool({ url, max: config.cluster.poolSize, logger: log });
  const store = openPostgresCallStore(pool);
  const seats = new PostgresSeats({ pool, instanceId, maxPerKey: config.qwen.maxConcurrentSessions, leaseMs, logger: log });
  const lease: InstanceLease = instanceLease({ pool, instanceId, leaseMs, logger: log, renewCalls: (client) => seats.renew(client) });
  let control: ControlChannel | undefined;
  let calls: LocalCalls | undefined;

  const onControl = (message: ControlMessage): void => {
    switch (message.op) {
      case 'hangup': {
        const call = calls?.get(message.callId);
        if (call === undefined || call.state === 'ending' || call.state === 'ended') return;
        log.info({ callId: message.callId }, 'admin hangup received from the cluster');
        void call.hangup('admin_hangup');
        return;
      }
      case 'drain':
        if (calls === undefined || calls.draining) return;
        log.info('admin drain received from the cluster: no new calls admitted');
        calls.drain();
        void lease.markDraining().catch(() => undefined);
        return;
    }
  };

  return {
    instanceId,
    store,
    seats,
    admin: {
      instanceId,
      list: () => listClusterCalls(pool),
      instances: async () => (await listInstances(pool)).map((instance) => instance.instanceId),
      async routeHangup(callId) {
        const owner = await ownerOf(pool, callId);
        if (owner !== undefined) await sendControl(pool, { op: 'hangup', to: owner, callId });
        return owner;
      },
      routeDrain: (target) => sendControl(pool, { op: 'drain', to: target === '*' ? ALL_INSTANCES : target }),
      markDraining: () => lease.markDraining(),
    },
    attach(localCalls) {
      calls = localCalls;
    },
    async start() {
      const found = await migratePostgres(pool);
      await lease.start();
      control = listenForControl({ url, instanceId, logger: log, onMessage: onControl });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        control.ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('PostgreSQL LISTEN connection not established')), CONTROL_READY_TIMEOUT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      log.info(
        { database: loggableDatabaseUrl(url), instanceId, schemaFound: found, maxConcurrentSessions: config.qwen.maxConcurrentSessions },
        'cluster member',
      );
    },
    async close() {
      await control?.close();
      await lease
        .stop()
        .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cluster leave failed'));
      await pool.end();
    },
  };
}
