/**
 * Runs the simulator on its own, for pointing any realtime client at it:
 *   node --import tsx src/sim/qwen/cli.ts --port 8765 [--api-key KEY] [--speed 4]
 *        [--session-cap-ms 7200000] [--host 127.0.0.1] [--fidelity live|documented]
 *        [--idle-close-ms 25000]
 * Uses the default support-line script. Stop it with Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { startQwenSimulator } from './server.js';

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`--${name} expects a number, got ${JSON.stringify(value)}`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8765' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      speed: { type: 'string' },
      'session-cap-ms': { type: 'string' },
      fidelity: { type: 'string' },
      'idle-close-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: cli.ts [--port 8765] [--host 127.0.0.1] [--api-key KEY] [--speed 4] [--session-cap-ms MS]\n' +
        '              [--fidelity live|documented] [--idle-close-ms MS (0: never)]',
    );
    return;
  }
  const fidelity = values.fidelity;
  if (fidelity !== undefined && fidelity !== 'live' && fidelity !== 'documented') {
    throw new Error(`--fidelity expects live or documented, got ${JSON.stringify(fidelity)}`);
  }
  const speedFactor = numberOption('speed', values.speed);
  const simulator = await startQwenSimulator({
    port: numberOption('port', values.port) ?? 8765,
    host: values.host,
    apiKey: values['api-key'],
    sessionCapMs: numberOption('session-cap-ms', values['session-cap-ms']),
    fidelity,
    idleCloseMs: numberOption('idle-close-ms', values['idle-close-ms']),
    timing: speedFactor === undefined ? undefined : { speedFactor },
  });
  console.log(`Qwen-Omni-Realtime simulator (fidelity: ${fidelity ?? 'live'}) listening on ${simulator.url}`);
  const key = values['api-key'] === undefined ? '<any key>' : '<your --api-key>';
  console.log(`Connect to ${simulator.url}?model=qwen3.5-omni-flash-realtime with "Authorization: Bearer ${key}"`);
  const stop = (): void => {
    void simulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
