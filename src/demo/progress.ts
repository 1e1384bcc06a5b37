/**
 * Live progress for the demo: a `cli-progress` bar on a TTY, plain periodic lines otherwise
 * (CI logs, pipes). `cli-progress` is loaded lazily so the demo still runs (with plain lines) where
 * it is not installed.
 */
export interface ProgressCounts {
  total: number;
  /** Messages with a terminal outcome. */
  done: number;
  delivered: number;
  /** Retries scheduled so far. */
  retries: number;
  /** Terminal outcomes other than delivered. */
  notDelivered: number;
}

export interface Progress {
  update(counts: ProgressCounts): void;
  stop(): void;
}

export interface ProgressOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Draw a bar (TTY) or print lines. Default: `stream.isTTY`. */
  tty?: boolean;
  /** Interval of the plain lines, ms. Default 2000. */
  intervalMs?: number;
  /** Nothing at all (e.g. `--quiet`). */
  silent?: boolean;
}

const n = (v: number) => v.toLocaleString('en-US');

/** One plain progress line. */
export function formatProgressLine(c: ProgressCounts, elapsedMs: number): string {
  const pct = c.total === 0 ? 100 : Math.floor((c.done / c.total) * 100);
  return `progress ${n(c.done)}/${n(c.total)} (${pct}%) delivered ${n(c.delivered)}, not delivered ${n(c.notDelivered)}, retries ${n(c.retries)}, ${(elapsedMs / 1000).toFixed(1)} s`;
}

function plainProgress(opts: ProgressOptions): Progress {
  const started = Date.now();
  let last: ProgressCounts | undefined;
  let printed: string | undefined;
  const print = () => {
    if (!last) return;
    const line = formatProgressLine(last, Date.now() - started);
    if (line !== printed) opts.stream.write(line + '\n');
    printed = line;
  };
  const timer = setInterval(print, opts.intervalMs ?? 2000);
  timer.unref();
  return {
    update: (c) => void (last = { ...c }),
    stop: () => {
      clearInterval(timer);
      print();
    },
  };
}

export async function createProgress(opts: ProgressOptions): Promise<Progress> {
  if (opts.silent) return { update: () => {}, stop: () => {} };
  if (!(opts.tty ?? opts.stream.isTTY)) return plainProgress(opts);
  let mod: typeof import('cli-progress');
  try {
    mod = (await import('cli-progress')).default ?? (await import('cli-progress'));
  } catch {
    return plainProgress(opts);
  }
  const bar = new mod.SingleBar(
    {
      stream: opts.stream,
      format: '{bar} {percentage}% | {value}/{total} | delivered {delivered} | not delivered {notDelivered} | retries {retries} | {duration}s',
      hideCursor: true,
      fps: 10,
      etaBuffer: 50,
    },
    mod.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (c) => {
      const payload = { delivered: n(c.delivered), notDelivered: n(c.notDelivered), retries: n(c.retries) };
      if (!started) {
        bar.start(c.total, c.done, payload);
        started = true;
      } else bar.update(c.done, payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
