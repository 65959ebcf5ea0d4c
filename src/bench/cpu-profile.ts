/**
 * A V8 CPU profile of this process over a stretch of a benchmark, through the inspector: only
 * the measured windows are sampled, not start-up or the other targets' rounds. The file is the
 * standard .cpuprofile JSON (Chrome DevTools and speedscope open it; profile-stages.ts sums it).
 * The IPC round trips between windows are sampled too; they are a few per window.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/** Fine enough to see a 10 µs step among thousands of calls; coarse enough not to cost much. */
const SAMPLING_INTERVAL_US = 200;

export interface RunningProfile {
  stopInto(path: string): Promise<void>;
}

export async function startCpuProfile(): Promise<RunningProfile> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  await session.post('Profiler.start');
  return {
    async stopInto(path: string): Promise<void> {
      try {
        const { profile } = await session.post('Profiler.stop');
        await writeFile(path, JSON.stringify(profile));
      } finally {
        session.disconnect();
      }
    },
  };
}
