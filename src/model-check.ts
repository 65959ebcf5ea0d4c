/**
 * The start-up model check: one short session per (region, model) the agents use, so a wrong key,
 * a key of the other region or a model the account cannot use shows up in the log and on /readyz
 * at start, not as a silent first call. A failed check is repeated every minute until it passes
 * (a network blip at start must not keep the bridge unready for good).
 */
import type { Logger } from 'pino';
import type { AgentProfile } from './call/agent-profile.js';
import { AiConnectError, type AiConnector } from './call/ai-session.js';

const RECHECK_MS = 60_000;

type State = { kind: 'unchecked' } | { kind: 'ok' } | { kind: 'failed'; detail: string };

export class ModelCheck {
  #state: State = { kind: 'unchecked' };
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly connect: AiConnector,
    /** The agents' profiles as they are now (a reload may change them). */
    private readonly profiles: () => readonly AgentProfile[],
    private readonly defaultRegion: string,
    private readonly log: Logger,
  ) {}

  /** For /readyz: failing only once a check has failed (an unchecked bridge is not held back). */
  readiness(): { ok: boolean; detail: string } {
    return this.#state.kind === 'failed' ? { ok: false, detail: `model check failed: ${this.#state.detail}` } : { ok: true, detail: 'model' };
  }

  /** Checks every (region, model) pair once; resolves true when all connected. */
  async run(): Promise<boolean> {
    const targets = new Map<string, AgentProfile>();
    for (const profile of this.profiles()) targets.set(`${profile.region ?? this.defaultRegion}/${profile.model}`, profile);
    const failures: string[] = [];
    for (const [target, profile] of targets) {
      const startedMs = performance.now();
      try {
        const session = await this.connect(profile, () => undefined, { callId: `model-check ${target}` });
        session.close();
        this.log.info({ target, ms: Math.round(performance.now() - startedMs) }, 'model check passed');
      } catch (err) {
        const detail = err instanceof AiConnectError ? `${err.kind}: ${err.message}` : err instanceof Error ? err.message : String(err);
        failures.push(`${target}: ${detail}`);
        this.log.error({ target, detail }, 'model check failed: calls for these agents will fail until it is fixed');
      }
    }
    if (this.#closed) return failures.length === 0;
    this.#state = failures.length === 0 ? { kind: 'ok' } : { kind: 'failed', detail: failures.join('; ') };
    if (failures.length > 0) {
      this.#timer = setTimeout(() => void this.run(), RECHECK_MS);
      this.#timer.unref();
    }
    return failures.length === 0;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}
