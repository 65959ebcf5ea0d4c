/**
 * A real drachtio-server for end-to-end tests: a configuration file of our own in a temp folder
 * (admin socket and SIP on 127.0.0.1 only, free ports, a random secret, console logging, no
 * Prometheus listener), started from the binary the user names, stopped with the test.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort, freeUdpPort, pollUntil, Program, tcpAccepts } from './programs.js';

export interface DrachtioServer {
  adminPort: number;
  sipPort: number;
  secret: string;
  program: Program;
  stop(): Promise<void>;
}

function configXml(adminPort: number, sipPort: number, secret: string): string {
  // Only what the test needs. Left out on purpose: <monitoring> (the sample config opens a
  // Prometheus port), <file> logging (a path outside the temp folder), request handlers
  // (outbound mode; the bridge connects inbound), spammers, TLS.
  return `<drachtio>
  <admin port="${adminPort}" secret="${secret}">127.0.0.1</admin>
  <sip>
    <contacts>
      <contact>sip:127.0.0.1:${sipPort};transport=udp</contact>
    </contacts>
  </sip>
  <cdrs>false</cdrs>
  <logging>
    <console/>
    <sofia-loglevel>3</sofia-loglevel>
    <loglevel>info</loglevel>
  </logging>
</drachtio>
`;
}

/**
 * The environment for drachtio-server: ours minus every DRACHTIO_* variable, because the server
 * reads many of those (secret, admin address and port, log level, HTTP handler) and they would
 * override the file — a developer's shell may well have DRACHTIO_SECRET set for the bridge.
 */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('DRACHTIO_')) env[key] = value;
  }
  return env;
}

export async function startDrachtioServer(binary: string): Promise<DrachtioServer> {
  const dir = await mkdtemp(join(tmpdir(), 'drachtio-e2e-'));
  const adminPort = await freeTcpPort();
  const sipPort = await freeUdpPort();
  const secret = randomBytes(8).toString('hex');
  const configPath = join(dir, 'drachtio.conf.xml');
  await writeFile(configPath, configXml(adminPort, sipPort, secret));
  const program = new Program('drachtio-server', binary, ['-f', configPath], { cwd: dir, env: serverEnv() });
  const stop = async (): Promise<void> => {
    await program.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await pollUntil(
      async () => {
        if (program.exit) throw new Error(`drachtio-server exited (${JSON.stringify(program.exit)})\n${program.tail()}`);
        return tcpAccepts(adminPort);
      },
      'the drachtio-server admin port',
      10_000,
    );
  } catch (err) {
    await stop();
    throw err instanceof Error && program.exit === undefined ? new Error(`${err.message}\n${program.tail()}`) : err;
  }
  return { adminPort, sipPort, secret, program, stop };
}

/**
 * Sends SIP OPTIONS to 127.0.0.1:sipPort and resolves with the response's status, or undefined
 * when none came within `timeoutMs`. drachtio-server answers 503 itself while no app has routed
 * OPTIONS, so a 200 means both its SIP transport and the bridge's connection are up.
 */
export function sipOptions(sipPort: number, timeoutMs = 500): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (status: number | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(status);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', () => done(undefined));
    socket.on('message', (msg) => {
      const status = /^SIP\/2\.0 (\d{3})/.exec(msg.toString('latin1'))?.[1];
      if (status !== undefined && status !== '100') done(Number(status));
    });
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      const tag = randomBytes(4).toString('hex');
      const request = [
        `OPTIONS sip:probe@127.0.0.1:${sipPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
        `From: <sip:probe@127.0.0.1:${port}>;tag=${tag}`,
        `To: <sip:probe@127.0.0.1:${sipPort}>`,
        `Call-ID: ${randomBytes(8).toString('hex')}@127.0.0.1`,
        'CSeq: 1 OPTIONS',
        `Contact: <sip:probe@127.0.0.1:${port}>`,
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(request, sipPort, '127.0.0.1');
    });
  });
}
