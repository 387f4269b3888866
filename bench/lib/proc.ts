// Linux /proc readings (CPU time and resident memory per process) and a registry of every child
// process the benchmark starts, so Ctrl-C or a crash never leaves one running.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

/** user + system CPU seconds of one process (0 when it is gone). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** Resident set size in bytes (VmRSS), 0 when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * The kernel's count of connections dropped because a listen queue was full (TcpExt ListenOverflows
 * in /proc/net/netstat): machine-wide, so other work on the machine can add to it.
 */
export function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'latin1').split('\n');
    const header = lines.findIndex((line) => line.startsWith('TcpExt:'));
    const names = lines[header]!.split(' ');
    const values = lines[header + 1]!.split(' ');
    return Number(values[names.indexOf('ListenOverflows')] ?? 0);
  } catch {
    return 0;
  }
}

/** Direct children of a process (nginx's workers). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Named groups of processes whose CPU time is compared (load client, gateway, Redis…). */
export type ProcessGroups = Record<string, () => number[]>;

export interface CpuSplit {
  wallS: number;
  /** CPU seconds per group over the interval. */
  seconds: Record<string, number>;
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n')[0] ?? '';
    // cpu  user nice system idle iowait irq softirq steal …
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** The group for CPU time outside the benchmark's processes: other programs, and kernel softirq work. */
export const OTHER = 'other (rest of machine)';

/** Starts measuring; the returned function gives the CPU seconds each group used since, and the rest as OTHER. */
export function cpuMeter(groups: ProcessGroups): () => CpuSplit {
  const start = performance.now();
  const machineBefore = machineBusySeconds();
  const before = new Map<number, number>();
  for (const pids of Object.values(groups)) for (const pid of pids()) before.set(pid, cpuSeconds(pid));
  return () => {
    const seconds: Record<string, number> = {};
    for (const [name, pids] of Object.entries(groups)) {
      seconds[name] = pids().reduce((sum, pid) => sum + Math.max(0, cpuSeconds(pid) - (before.get(pid) ?? 0)), 0);
    }
    const ours = Object.values(seconds).reduce((a, b) => a + b, 0);
    seconds[OTHER] = Math.max(0, machineBusySeconds() - machineBefore - ours);
    return { wallS: (performance.now() - start) / 1000, seconds };
  };
}

const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Last resort at exit: kill whatever is still running (synchronously). */
function killAll(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const finalizers = new Set<() => void>();

/** A synchronous last-resort cleanup (e.g. nginx workers, which outlive a killed master). */
export function onKillAll(finalizer: () => void): () => void {
  finalizers.add(finalizer);
  return () => finalizers.delete(finalizer);
}

export function runFinalizers(): void {
  for (const finalizer of finalizers) {
    try {
      finalizer();
    } catch {
      // best effort
    }
  }
  killAll();
}
