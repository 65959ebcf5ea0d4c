import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

describe('records configuration', () => {
  it('has documented defaults: SQLite under data/, 90-day retention, no webhook, no recording', () => {
    const { records, secrets } = loadConfig({});
    expect(records).toEqual({
      store: 'sqlite',
      dbPath: 'data/calls.sqlite',
      retentionDays: 90,
      webhook: { url: null, timeoutMs: 5000, retries: 3 },
      recording: { enabled: false, dir: 'data/recordings', retentionDays: 30 },
    });
    expect(secrets.adminToken).toBeUndefined();
    expect(secrets.databaseUrl).toBeUndefined();
  });

  it('selects the shared PostgreSQL store from the environment, its URL a secret, and refuses one without a URL', () => {
    const config = loadConfig({ RECORDS_STORE: 'postgres', DATABASE_URL: 'postgres://bridge:pw@db.example:5432/calls', BRIDGE_INSTANCE_ID: 'host-1' });
    expect(config.records.store).toBe('postgres');
    expect(config.secrets.databaseUrl).toBe('postgres://bridge:pw@db.example:5432/calls');
    expect(config.cluster).toEqual({ instanceId: 'host-1', leaseMs: 15000, poolSize: 10 });
    expect(() => loadConfig({ RECORDS_STORE: 'mysql' })).toThrow(ConfigError);
  });

  it('takes the admin token and webhook secret from the environment only', () => {
    const config = loadConfig({
      BRIDGE_ADMIN_TOKEN: 'adm',
      RECORDS_WEBHOOK_SECRET: 'whs',
      RECORDS_WEBHOOK_URL: 'https://hooks.example.com/calls',
      RECORDS_DB_PATH: '/var/lib/bridge/calls.sqlite',
    });
    expect(config.secrets).toMatchObject({ adminToken: 'adm', recordsWebhookSecret: 'whs' });
    expect(config.records.webhook.url).toBe('https://hooks.example.com/calls');
    expect(config.records.dbPath).toBe('/var/lib/bridge/calls.sqlite');
  });

  it('names a bad records key', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'qpb-config-')), 'override.yaml');
    writeFileSync(path, 'records:\n  webhook:\n    url: not-a-url\n    retries: -1\n  recording:\n    secret: x\n');
    expect(() => loadConfig({ BRIDGE_CONFIG: path })).toThrow(ConfigError);
    expect(() => loadConfig({ BRIDGE_CONFIG: path })).toThrow(/records\.webhook\.url/);
    expect(() => loadConfig({ BRIDGE_CONFIG: path })).toThrow(/records\.webhook\.retries/);
    expect(() => loadConfig({ BRIDGE_CONFIG: path })).toThrow(/secret/);
  });
});
