// The memory this process is given: the container's limit (cgroup v2 `memory.max`, or v1
// `memory.limit_in_bytes`) when one is set, else the machine's. Read once, at start-up, to size
// defaults that must leave a pod's memory limit room (REPLAY_BUDGET_BYTES).
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

const CGROUP_LIMIT_FILES = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'];

export function memoryLimitBytes(files: readonly string[] = CGROUP_LIMIT_FILES, machine: number = totalmem()): number {
  for (const file of files) {
    const limit = readLimit(file);
    // cgroup v1 says "no limit" with a number near 2^63.
    if (limit !== undefined && limit < machine) return limit;
  }
  return machine;
}

function readLimit(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (!/^\d+$/.test(text)) return undefined; // "max": no limit
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}
