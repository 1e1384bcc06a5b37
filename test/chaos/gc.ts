/** A garbage collector handle without `--expose-gc` on the command line (for heap-baseline checks). */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gcFn = runInNewContext('gc') as () => void;

/** Full GC, a few times (finalizers and weak callbacks run between passes), then heap used in bytes. */
export async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gcFn();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}
