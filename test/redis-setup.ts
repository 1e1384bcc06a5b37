/**
 * vitest global setup: the Redis the queue and distributed-limit tests run against.
 * - `REDIS_URL` set (as `.ci/run` does): used as is.
 * - Otherwise a throwaway `redis-server` is started on a free loopback port, with no persistence and a
 *   temporary directory, and stopped after the run. Without redis-server on the PATH the run stops
 *   with an error that says how to install it: the Redis tests never skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' }, () => c.write('PING\r\n'));
    c.on('data', (d) => {
      c.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    c.on('error', () => resolve(false));
  });
}

let child: ChildProcess | undefined;
let dir: string | undefined;

export async function setup(): Promise<void> {
  if (process.env.REDIS_URL) return;
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(
      'The queue and distributed-limit tests need Redis >= 6.2: install redis-server (Debian: apt-get install redis-server) or set REDIS_URL.',
    );
  }
  const port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'pushback-redis-'));
  child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100 && !(await ping(port)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await ping(port))) throw new Error(`redis-server did not start on 127.0.0.1:${port}`);
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
}

export async function teardown(): Promise<void> {
  if (child) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}
