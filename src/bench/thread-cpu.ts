/**
 * CPU time of this process split into its main thread and all the others (V8's garbage
 * collection and compiler helpers, libuv's pool, worker threads), read from Linux's
 * /proc/self/task. `process.cpuUsage` gives only the sum, and a bridge that allocates less or
 * moves work to a worker shows up in the split, not in the sum. Clock ticks are 10 ms, so a
 * window of a few seconds is good to about half a percent. Elsewhere than Linux: undefined.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10;

export interface ThreadCpuSample {
  mainMs: number;
  otherMs: number;
}

function ticksOf(tid: string): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at the state, field 3;
  // utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export function sampleThreadCpu(): ThreadCpuSample | undefined {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const main = String(process.pid);
  let mainTicks = 0;
  let otherTicks = 0;
  for (const tid of tids) {
    try {
      if (tid === main) mainTicks += ticksOf(tid);
      else otherTicks += ticksOf(tid);
    } catch {
      // The thread ended between the listing and the read; its time is gone from both samples.
    }
  }
  return { mainMs: mainTicks * TICK_MS, otherMs: otherTicks * TICK_MS };
}
