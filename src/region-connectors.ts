/**
 * Model connectors per region, for agents whose `region` differs from qwen.region. An API key
 * belongs to one region and works only at that region's endpoint, so each region needs its own
 * key: DASHSCOPE_API_KEY is qwen.region's, DASHSCOPE_API_KEY_SINGAPORE / _BEIJING name a region
 * explicitly. A region's connector is created on its first call. `qwen.url`, when set (the
 * simulator, a proxy), is used for every region.
 */
import type { ModelRegion } from './call/agent-profile.js';
import type { AiConnector } from './call/ai-session.js';
import { AiConnectError } from './call/ai-session.js';
import { qwenEndpoint } from './config/load.js';
import type { Config } from './config/schema.js';

export interface RegionEndpoint {
  region: ModelRegion;
  url: string;
  apiKey: string;
  workspaceId?: string;
}

const REGIONS: readonly ModelRegion[] = ['singapore', 'beijing'];

export function regionApiKey(config: Config, region: ModelRegion): string | undefined {
  const own = config.secrets.dashscopeRegionKeys?.[region];
  if (own) return own;
  return region === config.qwen.region ? config.secrets.dashscopeApiKey : undefined;
}

/** Regions an agent may name: those with a key. */
export function regionsWithKeys(config: Config): Set<ModelRegion> {
  return new Set(REGIONS.filter((region) => regionApiKey(config, region) !== undefined));
}

export function regionEndpoint(config: Config, region: ModelRegion): RegionEndpoint | undefined {
  const apiKey = regionApiKey(config, region);
  if (apiKey === undefined) return undefined;
  const { workspaceId } = config.qwen;
  // qwen.workspaceId is a Singapore workspace (the endpoint it selects is Singapore's); a Beijing
  // key with a Singapore workspace header would be refused, and Beijing's default domain needs none.
  const withWorkspace = workspaceId && region === 'singapore';
  return { region, url: qwenEndpoint(config, region), apiKey, ...(withWorkspace ? { workspaceId } : {}) };
}

export function connectorPerRegion(config: Config, create: (endpoint: RegionEndpoint) => AiConnector): AiConnector {
  const connectors = new Map<ModelRegion, AiConnector>();
  return (profile, onEvent, opts) => {
    const region = profile.region ?? config.qwen.region;
    let connector = connectors.get(region);
    if (!connector) {
      const endpoint = regionEndpoint(config, region);
      if (!endpoint) {
        // The agent loader refuses such agents; this guards a reload racing a key change.
        return Promise.reject(new AiConnectError('auth', `no API key for region ${region}: set DASHSCOPE_API_KEY_${region.toUpperCase()}`));
      }
      connector = create(endpoint);
      connectors.set(region, connector);
    }
    return connector(profile, onEvent, opts);
  };
}
