/**
 * The cluster's live calls as the admin API sees them: read from PostgreSQL (every member's
 * unexpired rows), with the process that owns each.
 */
import type pg from 'pg';

export interface ClusterCall {
  callId: string;
  instanceId: string;
  externalId: string;
  agentId: string;
  from: string | null;
  to: string;
  transport: string;
  startedAt: number;
}

export interface ClusterInstance {
  instanceId: string;
  host: string;
  pid: number;
  draining: boolean;
}

interface CallRow {
  call_id: string;
  instance_id: string;
  external_id: string;
  agent_id: string;
  from_number: string | null;
  to_number: string;
  transport: string;
  started_at: string;
}

export async function listClusterCalls(pool: pg.Pool): Promise<ClusterCall[]> {
  const result = await pool.query<CallRow>(
    `SELECT call_id, instance_id, external_id, agent_id, from_number, to_number, transport, started_at
       FROM live_calls WHERE lease_expires_at > now() ORDER BY started_at, call_id`,
  );
  return result.rows.map((row) => ({
    callId: row.call_id,
    instanceId: row.instance_id,
    externalId: row.external_id,
    agentId: row.agent_id,
    from: row.from_number,
    to: row.to_number,
    transport: row.transport,
    startedAt: Number(row.started_at),
  }));
}

/** The process owning a live call, or undefined when no member has it. */
export async function ownerOf(pool: pg.Pool, callId: string): Promise<string | undefined> {
  const result = await pool.query<{ instance_id: string }>(
    'SELECT instance_id FROM live_calls WHERE call_id = $1 AND lease_expires_at > now()',
    [callId],
  );
  return result.rows[0]?.instance_id;
}

export async function listInstances(pool: pg.Pool): Promise<ClusterInstance[]> {
  const result = await pool.query<{ instance_id: string; host: string; pid: number; draining: boolean }>(
    'SELECT instance_id, host, pid, draining FROM bridge_instances WHERE lease_expires_at > now() ORDER BY instance_id',
  );
  return result.rows.map((row) => ({ instanceId: row.instance_id, host: row.host, pid: row.pid, draining: row.draining }));
}
