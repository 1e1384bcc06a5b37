import { readFileSync } from 'node:fs';

/**
 * CPU (µs) of the main thread alone, from /proc (Linux; 10 ms ticks), or NaN elsewhere. Benchmarks whose
 * fake server runs in a worker thread use it to tell the client's CPU from the server's
 * (`process.cpuUsage()` counts both).
 */
export function threadCpuUs(): number {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}
