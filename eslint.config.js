// Lint rules that catch real bugs in async, event-driven code; style is left to the type checker.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The README's layers as import boundaries. Each unit of src/ (a folder, or a top-level file) lists
 * the units it may import; everything else in src/ is refused, as is test/ and vitest. Types may
 * cross where `types` says so (metrics.ts names the counters other layers keep).
 */
const LAYERS = {
  // Leaves.
  audio: { kind: 'dir', may: [] },
  models: { kind: 'dir', may: [] },
  config: { kind: 'dir', may: [] },
  log: { kind: 'file', may: [] },
  'loggable-url': { kind: 'file', may: [] },
  'public-url': { kind: 'file', may: [] },
  postgres: { kind: 'dir', may: [] },
  // Twilio's wire facts (request signatures, TwiML, the REST client) shared by http/ and media/.
  twilio: { kind: 'dir', may: ['public-url'] },
  // The call core and its ports.
  call: { kind: 'dir', may: ['audio'] },
  // Adapters: the core, the leaves, never each other.
  agent: { kind: 'dir', may: ['audio', 'call', 'models', 'loggable-url'] },
  ai: { kind: 'dir', may: ['audio', 'call', 'models', 'loggable-url'] },
  media: { kind: 'dir', may: ['audio', 'call', 'loggable-url', 'public-url', 'twilio'] },
  sip: { kind: 'dir', may: ['audio', 'call', 'loggable-url'] },
  http: { kind: 'dir', may: ['call', 'log', 'loggable-url', 'public-url', 'twilio'] },
  records: { kind: 'dir', may: ['call', 'log', 'loggable-url', 'postgres'] },
  recording: { kind: 'dir', may: ['audio', 'call'] },
  metrics: { kind: 'file', may: ['call'], types: ['media', 'records'] },
  'model-check': { kind: 'file', may: ['call', 'models'] },
  'region-connectors': { kind: 'file', may: ['call', 'config'] },
  'unavailable-recording': { kind: 'file', may: ['audio', 'call'] },
  // The cluster's adapters (leases, seats, control channel) and their composition.
  cluster: { kind: 'dir', may: ['call', 'postgres'] },
  'cluster-setup': { kind: 'file', may: ['call', 'cluster', 'config', 'http', 'log', 'postgres', 'records'] },
  'worker-pool': { kind: 'file', may: ['log'] },
  'worker-slice': { kind: 'file', may: ['config'] },
  'startup-summary': { kind: 'file', may: ['config', 'log', 'public-url'] },
  // Composition helpers for the platforms' HTTP webhooks (app.ts calls them).
  platforms: { kind: 'file', may: ['call', 'config', 'http', 'log', 'media', 'twilio', 'public-url'] },
  'records-setup': { kind: 'file', may: ['call', 'config', 'log', 'loggable-url', 'records', 'recording'] },
  // The composition root and the process entry; main.ts loads sim/ only by dynamic import.
  app: {
    kind: 'file',
    may: [
      'agent',
      'ai',
      'audio',
      'call',
      'config',
      'http',
      'log',
      'loggable-url',
      'media',
      'metrics',
      'cluster-setup',
      'model-check',
      'models',
      'platforms',
      'public-url',
      'startup-summary',
      'twilio',
      'unavailable-recording',
      'records',
      'recording',
      'records-setup',
      'region-connectors',
      'sip',
    ],
  },
  main: { kind: 'file', may: ['app', 'config', 'log', 'loggable-url', 'worker-pool', 'worker-slice'] },
  // Dev tools.
  probe: { kind: 'dir', may: ['ai', 'audio', 'call', 'config', 'log', 'loggable-url', 'models', 'region-connectors', 'sim'] },
  sim: {
    kind: 'dir',
    may: ['agent', 'ai', 'app', 'audio', 'call', 'config', 'http', 'log', 'loggable-url', 'media', 'metrics', 'models', 'sip', 'twilio'],
  },
  bench: {
    kind: 'dir',
    may: [
      'agent',
      'ai',
      'app',
      'audio',
      'call',
      'config',
      'http',
      'log',
      'loggable-url',
      'media',
      'metrics',
      'models',
      'records',
      'sim',
      'sip',
    ],
  },
};
/** Packages that carry I/O: the core and the leaves below it may name their types, never their values. */
const IO_PACKAGES = ['ws', 'drachtio-srf', 'fastify', 'pino', 'better-sqlite3', 'prom-client'];
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const target = (name) => (LAYERS[name].kind === 'dir' ? `${escape(name)}/` : `${escape(name)}\\.js$`);

/** One config object per depth below src/, so a relative specifier names exactly one unit. */
function layerBoundaries() {
  // A unit missing from LAYERS imports nothing of src/ until it is given a place here.
  const configs = [
    {
      files: ['src/**/*.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          { patterns: [{ regex: '^\\.\\.?/', message: 'This folder or file has no entry in LAYERS (eslint.config.js): add one.' }] },
        ],
      },
    },
  ];
  for (const [name, layer] of Object.entries(LAYERS)) {
    const forbidden = Object.keys(LAYERS).filter((other) => other !== name && !layer.may.includes(other));
    const typesOnly = layer.types ?? [];
    const depths = layer.kind === 'dir' ? [1, 2, 3, 4] : [0];
    for (const depth of depths) {
      const up = depth === 0 ? '\\./' : escape('../'.repeat(depth));
      const files = layer.kind === 'dir' ? [`src/${name}/${'*/'.repeat(depth - 1)}*.ts`] : [`src/${name}.ts`];
      const patterns = [
        {
          regex: `^${up}(${forbidden
            .filter((f) => !typesOnly.includes(f))
            .map(target)
            .join('|')})`,
          message: `${name} may import only: ${layer.may.join(', ') || 'nothing in src'} (README, Layers; CONTRIBUTING.md).`,
        },
        { regex: '^(\\.\\./)+test/', message: 'src/ never imports test/.' },
        { regex: '^vitest', message: 'src/ never imports the test runner.' },
      ];
      if (typesOnly.length > 0) {
        patterns.push({
          regex: `^${up}(${typesOnly.map(target).join('|')})`,
          allowTypeImports: true,
          message: `${name} may import only types from: ${typesOnly.join(', ')}.`,
        });
      }
      const paths = ['audio', 'models', 'config', 'call'].includes(name)
        ? IO_PACKAGES.map((pkg) => ({ name: pkg, allowTypeImports: true, message: `${name}/ may use ${pkg} types, never its values.` }))
        : [];
      configs.push({ files, rules: { 'no-restricted-imports': ['error', { paths, patterns }] } });
    }
  }
  return configs;
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      'no-console': 'error',
    },
  },
  {
    // Command-line drivers print their results for a person; everything else logs through pino.
    files: ['src/sim/**', 'src/bench/**', 'src/main.ts', 'src/probe/probe.ts', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  ...layerBoundaries(),
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
