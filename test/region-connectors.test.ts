import { describe, expect, it } from 'vitest';
import { testProfile } from './support/call-harness.js';
import { AiConnectError, type AiConnector } from '../src/call/ai-session.js';
import { loadConfig } from '../src/config/load.js';
import { connectorPerRegion, regionEndpoint, regionsWithKeys, type RegionEndpoint } from '../src/region-connectors.js';

describe('model connectors per region', () => {
  it('pairs each region with its own endpoint and key', () => {
    const config = loadConfig({ DASHSCOPE_API_KEY: 'sg-key', DASHSCOPE_API_KEY_BEIJING: 'bj-key', QWEN_WORKSPACE_ID: 'ws1' });
    expect(regionEndpoint(config, 'singapore')).toEqual({
      region: 'singapore',
      url: 'wss://ws1.ap-southeast-1.maas.aliyuncs.com/api-ws/v1/realtime',
      apiKey: 'sg-key',
      workspaceId: 'ws1',
    });
    expect(regionEndpoint(config, 'beijing')).toEqual({ region: 'beijing', url: 'wss://dashscope.aliyuncs.com/api-ws/v1/realtime', apiKey: 'bj-key' });
    expect(regionsWithKeys(loadConfig({ DASHSCOPE_API_KEY: 'sg-key' }))).toEqual(new Set(['singapore']));
    expect(regionsWithKeys(loadConfig({ DASHSCOPE_API_KEY: 'bj', QWEN_REGION: 'beijing' }))).toEqual(new Set(['beijing']));
  });

  it('creates a region’s connector on its first call and reuses it; a region without a key fails like a 401', async () => {
    const config = loadConfig({ DASHSCOPE_API_KEY: 'sg-key', DASHSCOPE_API_KEY_BEIJING: 'bj-key' });
    const created: RegionEndpoint[] = [];
    const connect = connectorPerRegion(config, (endpoint) => {
      created.push(endpoint);
      const connector: AiConnector = () => Promise.reject(new Error(`would dial ${endpoint.region}`));
      return connector;
    });
    const opts = { callId: 'c' };
    await expect(connect(testProfile(), () => undefined, opts)).rejects.toThrow('would dial singapore');
    await expect(connect(testProfile({ region: 'beijing' }), () => undefined, opts)).rejects.toThrow('would dial beijing');
    await expect(connect(testProfile({ region: 'beijing' }), () => undefined, opts)).rejects.toThrow('would dial beijing');
    expect(created.map((e) => e.region)).toEqual(['singapore', 'beijing']);

    const singaporeOnly = connectorPerRegion(loadConfig({ DASHSCOPE_API_KEY: 'sg-key' }), () => () => Promise.reject(new Error('no')));
    await expect(singaporeOnly(testProfile({ region: 'beijing' }), () => undefined, opts)).rejects.toBeInstanceOf(AiConnectError);
  });
});
