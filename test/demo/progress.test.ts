import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress, formatProgressLine } from '../../src/demo/progress.js';

const counts = { total: 20000, done: 5000, delivered: 4900, retries: 300, notDelivered: 100 };

function sink() {
  const s = new PassThrough();
  let text = '';
  s.on('data', (d) => (text += String(d)));
  return { stream: s, text: () => text };
}

afterEach(() => vi.useRealTimers());

describe('progress', () => {
  it('formats a plain line', () => {
    expect(formatProgressLine(counts, 2500)).toBe('progress 5,000/20,000 (25%) delivered 4,900, not delivered 100, retries 300, 2.5 s');
  });
  it('prints plain periodic lines when not a TTY, and a last line on stop', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const out = sink();
    const p = await createProgress({ stream: out.stream, intervalMs: 1000 });
    p.update(counts);
    vi.advanceTimersByTime(1000);
    p.update({ ...counts, done: 20000, delivered: 19900 });
    vi.advanceTimersByTime(1000);
    p.stop();
    await new Promise((r) => setImmediate(r));
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(2); // the final state is not printed twice
    expect(lines[0]).toContain('5,000/20,000');
    expect(lines[1]).toContain('20,000/20,000 (100%)');
    expect(out.text()).not.toContain('\u001b[');
  });
  it('draws a bar on a TTY', async () => {
    const out = sink();
    Object.assign(out.stream, { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    const p = await createProgress({ stream: out.stream, tty: true });
    p.update(counts);
    p.stop();
    await new Promise((r) => setImmediate(r));
    expect(out.text()).toContain('5000/20000');
    expect(out.text()).toContain('delivered 4,900');
  });
  it('prints nothing when silent', async () => {
    const out = sink();
    const p = await createProgress({ stream: out.stream, silent: true });
    p.update(counts);
    p.stop();
    expect(out.text()).toBe('');
  });
});
