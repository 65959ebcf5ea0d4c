/**
 * Reads config/default.yaml, deep-merges an optional override file (BRIDGE_CONFIG) and a few
 * environment variables over it, validates the result and fails fast with messages that name the
 * file, the key and what is wrong.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config, type Secrets } from './schema.js';

export const DEFAULT_CONFIG_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../config/default.yaml');

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] = isTree(prior) && isTree(value) ? merge(prior, value) : value;
  }
  return out;
}

function readYaml(path: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  const parsed: unknown = parseYaml(text);
  if (parsed === null || parsed === undefined) return {};
  if (!isTree(parsed)) throw new ConfigError(`${path}: the top level must be a mapping of keys`);
  return parsed;
}

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isTree(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/**
 * A boolean from the environment. Anything but the usual words is an error: `SIP_ENABLED=ture`
 * silently meaning "off" is how a bridge ends up not answering the phone.
 */
function parseBoolean(name: string): (raw: string) => boolean {
  return (raw) => {
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a boolean: write true or false (also accepted: 1/0, yes/no, on/off)`);
  };
}

/** Environment variables that override file values: name → key path and parser. */
const ENV_OVERRIDES: Array<[string, string[], (raw: string) => unknown]> = [
  ['PORT', ['http', 'port'], Number],
  ['HOST', ['http', 'host'], String],
  ['LOG_LEVEL', ['log', 'level'], String],
  ['QWEN_REGION', ['qwen', 'region'], String],
  ['QWEN_URL', ['qwen', 'url'], String],
  ['QWEN_MODEL', ['qwen', 'model'], String],
  ['QWEN_WORKSPACE_ID', ['qwen', 'workspaceId'], String],
  ['MAX_CONCURRENT_CALLS', ['calls', 'maxConcurrent'], Number],
  ['PUBLIC_BASE_URL', ['media', 'publicBaseUrl'], String],
  ['SIP_ENABLED', ['sip', 'enabled'], parseBoolean('SIP_ENABLED')],
  ['RECORDING_ENABLED', ['records', 'recording', 'enabled'], parseBoolean('RECORDING_ENABLED')],
  ['DRACHTIO_HOST', ['sip', 'host'], String],
  ['DRACHTIO_PORT', ['sip', 'port'], Number],
  ['RTP_ADVERTISED_ADDRESS', ['sip', 'rtp', 'advertisedAddress'], String],
  ['RECORDS_DB_PATH', ['records', 'dbPath'], String],
  ['RECORDS_STORE', ['records', 'store'], String],
  ['QWEN_MAX_CONCURRENT_SESSIONS', ['qwen', 'maxConcurrentSessions'], Number],
  ['BRIDGE_INSTANCE_ID', ['cluster', 'instanceId'], String],
  ['RECORDS_WEBHOOK_URL', ['records', 'webhook', 'url'], String],
  ['OPS_PORT', ['ops', 'port'], Number],
];

export function loadConfig(env: NodeJS.ProcessEnv = process.env, defaultPath = DEFAULT_CONFIG_PATH): Config {
  let tree = readYaml(defaultPath);
  let agentsBase = dirname(defaultPath);
  const overridePath = env.BRIDGE_CONFIG;
  let overrideTree: Tree = {};
  if (overridePath) {
    const over = readYaml(overridePath);
    overrideTree = over;
    if ('agentsDir' in over) agentsBase = dirname(resolve(overridePath));
    tree = merge(tree, over);
  }
  for (const [name, path, parse] of ENV_OVERRIDES) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') setPath(tree, path, parse(raw));
  }
  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(top)'}: ${issue.message}`);
    const files = overridePath ? `${defaultPath} + ${overridePath}` : defaultPath;
    throw new ConfigError(`invalid configuration (${files}):\n${problems.join('\n')}`);
  }
  const fileConfig = result.data;
  const secrets: Secrets = {};
  if (env.DASHSCOPE_API_KEY) secrets.dashscopeApiKey = env.DASHSCOPE_API_KEY;
  // Keys belong to a region: agents in another region than qwen.region need that region's key.
  for (const region of ['singapore', 'beijing'] as const) {
    const key = env[`DASHSCOPE_API_KEY_${region.toUpperCase()}`];
    if (key) secrets.dashscopeRegionKeys = { ...secrets.dashscopeRegionKeys, [region]: key };
  }
  if (env.BRIDGE_MEDIA_TOKEN) secrets.mediaToken = env.BRIDGE_MEDIA_TOKEN;
  if (env.TWILIO_AUTH_TOKEN) secrets.twilioAuthToken = env.TWILIO_AUTH_TOKEN;
  if (env.TWILIO_ACCOUNT_SID) secrets.twilioAccountSid = env.TWILIO_ACCOUNT_SID;
  if (env.DRACHTIO_SECRET) secrets.drachtioSecret = env.DRACHTIO_SECRET;
  if (env.BRIDGE_ADMIN_TOKEN) secrets.adminToken = env.BRIDGE_ADMIN_TOKEN;
  if (env.RECORDS_WEBHOOK_SECRET) secrets.recordsWebhookSecret = env.RECORDS_WEBHOOK_SECRET;
  if (env.DATABASE_URL) secrets.databaseUrl = env.DATABASE_URL;
  const agentsPath = isAbsolute(fileConfig.agentsDir) ? fileConfig.agentsDir : resolve(agentsBase, fileConfig.agentsDir);
  // Like agentsDir: relative to the file that named it.
  const unavailable = fileConfig.calls.unavailable;
  if (unavailable !== null && !isAbsolute(unavailable.path)) {
    const named = overridePath !== undefined && isTree(overrideTree.calls) && 'unavailable' in overrideTree.calls;
    unavailable.path = resolve(named ? dirname(resolve(overridePath)) : dirname(defaultPath), unavailable.path);
  }
  if (fileConfig.calls.sessionCapMarginMs >= fileConfig.qwen.sessionCapMs) {
    throw new ConfigError('calls.sessionCapMarginMs must be smaller than qwen.sessionCapMs');
  }
  return { ...fileConfig, agentsPath, secrets };
}

/** The model endpoint for a region (default: the configured one), or the explicit url for all. */
export function qwenEndpoint(config: Config, region = config.qwen.region): string {
  const { url, workspaceId } = config.qwen;
  if (url) return url;
  if (region === 'beijing') return 'wss://dashscope.aliyuncs.com/api-ws/v1/realtime';
  if (workspaceId) return `wss://${workspaceId}.ap-southeast-1.maas.aliyuncs.com/api-ws/v1/realtime`;
  return 'wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime';
}
