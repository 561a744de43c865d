// CPU time of the processes this benchmark started (headless Chromium's browser, renderer, GPU and
// utility processes), read from /proc: on a busy, shared machine the wall time of a print swells
// with the load while its CPU time barely moves, so a phase's CPU milliseconds say where time goes.

import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports /proc times in clock ticks of 1/100 s (USER_HZ). */
const TICK_MS = 10;

export type CpuSample = Map<number, number>;

/** CPU ms used so far by each descendant of this process; null where there is no /proc. */
export function descendantsCpu(): CpuSample | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces and parentheses): state ppid ... utime stime.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(name);
      const ppid = Number(f[1]);
      (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(pid);
      cpu.set(pid, (Number(f[11]) + Number(f[12])) * TICK_MS);
    } catch {
      // The process ended while the list was read.
    }
  }
  const out: CpuSample = new Map();
  const queue = [process.pid];
  while (queue.length) {
    for (const child of children.get(queue.pop()!) ?? []) {
      out.set(child, cpu.get(child) ?? 0);
      queue.push(child);
    }
  }
  return out;
}

/** CPU ms the descendants used between two samples (processes started in between count from zero). */
export function cpuBetween(a: CpuSample | null, b: CpuSample | null): number | null {
  if (!a || !b) return null;
  let ms = 0;
  for (const [pid, v] of b) ms += v - (a.get(pid) ?? 0);
  return ms;
}

/** This Node process's own CPU ms so far (user + system). */
export function ownCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
