/** Real worker processes for the acceptance tests and the bench: fork, wait until ready, close or kill. */
import { fork, type ChildProcess } from 'node:child_process';
import type { WorkerProcessConfig } from './worker-process.js';

export interface ClosedReport {
  runs: number;
  delayed: number;
  rateLimited: number;
  /** Calls of BullMQ's worker.rateLimit (queue-wide pauses). */
  queueRateLimits: number;
  lostRuns: number;
  /** With `trace`: [sentAt, token] per request. */
  sends?: [number, string][];
  /** With `trace`: [at, untilMs, key] per cool-down the engine learned (own 429 or another worker's). */
  coolDowns?: [number, number, string][];
}

export interface WorkerHandle {
  child: ChildProcess;
  /** Raw tokens the prune hook received in this process. */
  pruned: string[];
  errors: string[];
  /** Graceful close: active jobs finish, hooks flush. Resolves with the process's counters (and traces). */
  close(): Promise<ClosedReport>;
  /** SIGKILL: no cleanup at all, as in a crash or an OOM kill. */
  kill(): Promise<void>;
}

const SCRIPT = new URL('./worker-process.ts', import.meta.url).pathname;

export function startWorkerProcess(config: WorkerProcessConfig): Promise<WorkerHandle> {
  const child = fork(SCRIPT, [JSON.stringify(config)], {
    execArgv: ['--import', 'tsx', ...(process.env.PB_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PB_PROF}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pruned: string[] = [];
  const errors: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const onEarlyExit = (code: number | null) => reject(new Error(`worker process exited early (code ${code})`));
    child.once('exit', onEarlyExit);
    child.on('message', (m: { type: string; tokens?: string[]; message?: string }) => {
      if (m.type === 'pruned') pruned.push(...(m.tokens ?? []));
      if (m.type === 'error') errors.push(m.message ?? '');
      if (m.type !== 'ready') return;
      child.off('exit', onEarlyExit);
      resolve({
        child,
        pruned,
        errors,
        close: () =>
          new Promise((res) => {
            child.on('message', (c: { type: string } & ClosedReport) => {
              if (c.type === 'closed') res(c);
            });
            child.send({ type: 'close' });
          }),
        kill: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}
