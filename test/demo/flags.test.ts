import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, FlagError, parseDemoFlags } from '../../src/demo/flags.js';

describe('parseDemoFlags', () => {
  it('has defaults', () => {
    expect(parseDemoFlags([])).toEqual({ ...DEMO_DEFAULTS, json: false, quiet: false, help: false });
  });
  it('reads every flag, in both spellings', () => {
    expect(parseDemoFlags(['--messages', '500', '--fault-rate=0.3', '--seed', 'abc', '--json', '--concurrency', '10', '--quiet'])).toEqual({
      messages: 500, faultRate: 0.3, seed: 'abc', json: true, concurrency: 10, quiet: true, help: false,
    });
    expect(parseDemoFlags(['-h']).help).toBe(true);
  });
  it('rejects bad values with a clear error', () => {
    for (const argv of [['--messages', '-1'], ['--messages', '1.5'], ['--messages', 'lots'], ['--fault-rate', '2'], ['--fault-rate', ''], ['--concurrency', '0'], ['--bogus'], ['extra']]) {
      expect(() => parseDemoFlags(argv)).toThrow(FlagError);
    }
    expect(() => parseDemoFlags(['--fault-rate', '2'])).toThrow('Expected `--fault-rate` to be a number from 0 to 1, got "2".');
  });
});
