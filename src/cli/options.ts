/** Shared flag handling: `node:util` parseArgs in strict mode, with errors a human can act on. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PROVIDERS, isProviderId, type ProviderId } from '../types.js';
import { UsageError } from './command.js';

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>, allowPositionals: boolean): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function providerFlag(value: unknown): ProviderId | undefined {
  if (value === undefined) return undefined;
  if (!isProviderId(value)) throw new UsageError(`Unknown provider "${String(value)}". Expected one of: ${PROVIDERS.join(', ')}.`);
  return value;
}
