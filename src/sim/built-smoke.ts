/**
 * Start-up smoke test of the built program (`npm run build` first), as CI runs it:
 *
 * 0. every package that dist/ imports is a runtime dependency (package.json `dependencies`);
 * 1. `node dist/main.js` with a key and a token (no --simulate) starts, listens, stops cleanly on
 *    SIGTERM, and loads nothing of dist/sim (a module-loader hook lists what it loads);
 * 2. `node dist/main.js --simulate` becomes ready (/readyz 200), answers one call from the
 *    simulated Twilio caller (greeting, a question, the answer starts, the caller hangs up), writes its
 *    record (GET /calls), and stops cleanly on SIGTERM.
 * 3. `node dist/main.js --simulate` with SIP on, connected to the drachtio-server simulator (run
 *    here), answers an INVITE and sends the greeting as RTP from its RTP I/O thread (a worker
 *    loaded from dist/ with plain node: tsx is not there in production), ends on the caller's BYE
 *    and stops cleanly on SIGTERM.
 *
 * Prints one JSON line; exits 1 on the first failure, with the program's output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mulawDecode } from '../audio/g711.js';
import { parseRtp } from '../sip/rtp/rtp-packet.js';
import { hangup, say, SimulatedCaller, waitForAgentAudio, waitForAgentSilence } from './caller/index.js';
import { DrachtioServerSim } from './drachtio/drachtio-server-sim.js';
import { createModuleTrace } from './module-trace.js';

const MAIN = resolve('dist/main.js');
const STEP_TIMEOUT_MS = 30_000;

class Program {
  output = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(nodeArgs: string[], args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [...nodeArgs, MAIN, ...args], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', BRIDGE_CONFIG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)));
  }

  /** The port from the "bridge listening" log line. */
  async listening(): Promise<number> {
    const line = await this.until(() => this.output.split('\n').find((l) => l.includes('"msg":"bridge listening"')), 'bridge listening');
    return (JSON.parse(line) as { port: number }).port;
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return withTimeout(this.exited, 'exit after SIGTERM');
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  async until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (this.child.exitCode !== null) throw new Error(`the program exited (${this.child.exitCode}) before ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((next) => setTimeout(next, 50));
    }
  }
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), STEP_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

/** 0: what dist/ imports by package name, each of which must be a runtime dependency. */
function distPackages(): { packages: string[]; files: number } {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies?: Record<string, string> };
  const runtime = new Set(Object.keys(manifest.dependencies ?? {}));
  const files = readdirSync('dist', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
  const used = new Set<string>();
  for (const file of files) {
    const code = readFileSync(join('dist', file), 'utf8');
    for (const match of code.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
      check(runtime.has(name), `dist/${file} imports ${name}, which is not a runtime dependency`);
      used.add(name);
    }
  }
  check(used.size > 0 && files.length > 0, 'found no package imports in dist: is the scan working?');
  return { packages: [...used].sort(), files: files.length };
}

/** 1: a production start loads no simulator code. */
async function productionStart(): Promise<{ modules: number }> {
  const trace = createModuleTrace();
  const program = new Program(trace.nodeArgs, [], {
    DASHSCOPE_API_KEY: 'sk-smoke-test-not-a-key',
    BRIDGE_MEDIA_TOKEN: randomBytes(16).toString('hex'),
    RECORDS_DB_PATH: ':memory:',
    // Nothing listens there: the start-up model check fails fast, the bridge runs on.
    QWEN_URL: 'ws://127.0.0.1:9/api-ws/v1/realtime',
  });
  try {
    await program.listening();
    check((await program.stop()) === 0, 'production start: exit code after SIGTERM is not 0');
    const loaded = trace.loaded();
    check(
      loaded.some((url) => url.endsWith('/dist/app.js')),
      'production start: the module trace does not show dist/app.js (is the hook working?)',
    );
    const sim = loaded.filter((url) => url.includes('/dist/sim/'));
    check(sim.length === 0, `production start loaded simulator code: ${sim.join(', ')}`);
    return { modules: loaded.length };
  } catch (err) {
    program.kill();
    throw Object.assign(err as Error, { output: program.output });
  } finally {
    trace.dispose();
  }
}

/** 2: --simulate, ready, one call, its record, a clean stop. */
async function simulatedCall(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'qpb-smoke-'));
  const token = randomBytes(16).toString('hex');
  const adminToken = randomBytes(16).toString('hex');
  const program = new Program([], ['--simulate'], {
    BRIDGE_MEDIA_TOKEN: token,
    BRIDGE_ADMIN_TOKEN: adminToken,
    RECORDS_DB_PATH: join(dir, 'calls.sqlite'),
  });
  try {
    const port = await program.listening();
    const base = `http://127.0.0.1:${port}`;
    await program.until(async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), '/readyz 200');
    const caller = await SimulatedCaller.connect({
      url: `ws://127.0.0.1:${port}/media/twilio?token=${token}`,
      to: '+15550100',
      maxCallMs: 60_000,
    });
    const report = await caller.run([
      waitForAgentAudio(),
      waitForAgentSilence(700),
      say('order-status'),
      // The answer has started: the whole path works; the caller need not hear it out.
      waitForAgentAudio(),
      hangup(),
    ]);
    check(report.endedBy === 'caller', `the call ended by ${report.endedBy}, not by the caller's hang-up`);
    check(
      report.steps.every((step) => step.ok),
      `a caller step failed: ${JSON.stringify(report.steps)}`,
    );
    check(report.invalidFromBridge.length === 0, `invalid frames from the bridge: ${report.invalidFromBridge.join('; ')}`);
    const calls = await program.until(async () => {
      const res = await fetch(`${base}/calls`, { headers: { authorization: `Bearer ${adminToken}` } });
      const body = (await res.json()) as { calls: Array<{ endReason: string }> };
      return body.calls.length > 0 ? body.calls : undefined;
    }, 'the call record');
    check(calls.length === 1 && calls[0]!.endReason === 'caller_hangup', `unexpected records: ${JSON.stringify(calls)}`);
    check((await program.stop()) === 0, 'simulate: exit code after SIGTERM is not 0');
    return { heardMs: Math.round(report.agentAudio.heardMs), durationMs: Math.round(report.durationMs), endReason: calls[0]!.endReason };
  } catch (err) {
    program.kill();
    throw Object.assign(err as Error, { output: program.output });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The far end's RTP socket: counts the bridge's packets that carry sound (the greeting), not idle silence. */
function rtpFarEnd(): Promise<{ socket: Socket; port: number; audible: () => number }> {
  return new Promise((done, fail) => {
    const socket = createSocket('udp4');
    let audible = 0;
    socket.on('message', (data) => {
      const parsed = parseRtp(data);
      if (parsed.ok && mulawDecode(parsed.packet.payload).some((sample) => Math.abs(sample) > 300)) audible += 1;
    });
    socket.once('error', fail);
    socket.bind(0, '127.0.0.1', () => done({ socket, port: socket.address().port, audible: () => audible }));
  });
}

/** 3: --simulate with SIP: one call answered, its greeting sent as RTP by the RTP thread, BYE, a clean stop. */
async function simulatedSipCall(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'qpb-smoke-sip-'));
  const drachtio = await DrachtioServerSim.start();
  const farEnd = await rtpFarEnd();
  const config = join(dir, 'bridge.yaml');
  // Below the ephemeral range, so no other socket on the machine sits on these ports.
  writeFileSync(
    config,
    [
      'sip:',
      '  allowFrom: ["127.0.0.0/8", "198.51.100.0/24"]',
      '  rtp: { bindAddress: 127.0.0.1, advertisedAddress: 127.0.0.1, portMin: 29400, portMax: 29499, sendThread: worker }',
      '',
    ].join('\n'),
  );
  const program = new Program([], ['--simulate'], {
    BRIDGE_CONFIG: config,
    BRIDGE_MEDIA_TOKEN: randomBytes(16).toString('hex'),
    RECORDS_DB_PATH: ':memory:',
    SIP_ENABLED: 'true',
    DRACHTIO_HOST: drachtio.host,
    DRACHTIO_PORT: String(drachtio.port),
    DRACHTIO_SECRET: 'cymru',
  });
  try {
    await program.listening();
    const started = program.output.split('\n').find((line) => line.includes('"msg":"SIP front end started"'));
    check(started?.includes('"rtpThread":"worker"') === true, `the SIP front end did not say it runs RTP in the worker thread: ${started}`);
    await withTimeout(drachtio.waitForRoute('invite'), 'the bridge to register for INVITEs');
    const offer = [
      'v=0',
      'o=carrier 1 1 IN IP4 127.0.0.1',
      's=call',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${farEnd.port} RTP/AVP 0 101`,
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=ptime:20',
      'a=sendrecv',
      '',
    ].join('\r\n');
    const invite = drachtio.sendInvite({ from: 'sip:+15551230000@carrier.example', to: 'sip:+15550100@bridge.example', sdp: offer });
    const dialog = await withTimeout(invite.answered(), 'the 200 OK');
    drachtio.sendAck(dialog);
    await program.until(() => (farEnd.audible() >= 25 ? true : undefined), 'half a second of greeting as RTP');
    const bye = await withTimeout(drachtio.sendBye(dialog).finalResponse(), 'the answer to BYE');
    check(bye.status === 200, `BYE answered ${bye.status}`);
    check((await program.stop()) === 0, 'SIP: exit code after SIGTERM is not 0');
    check(!program.output.includes('"msg":"RTP thread'), 'the RTP thread reported a failure');
    return { rtpThread: 'worker', audiblePackets: farEnd.audible() };
  } catch (err) {
    program.kill();
    throw Object.assign(err as Error, { output: program.output });
  } finally {
    farEnd.socket.close();
    await drachtio.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const dist = distPackages();
  const production = await productionStart();
  const call = await simulatedCall();
  const sipCall = await simulatedSipCall();
  console.log(
    JSON.stringify({
      smoke: 'ok',
      distImports: dist,
      productionStart: { simModulesLoaded: 0, modulesLoaded: production.modules },
      call,
      sipCall,
    }),
  );
}

main().catch((err: unknown) => {
  const output = (err as { output?: string }).output;
  if (output) console.error(`--- program output ---\n${output}--- end ---`);
  console.error(`smoke test failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
