import type { ClassifyInput, ProviderId } from '../types.js';

type Obj = Record<string, unknown>;

/** Whether a send function's result is a raw provider response (or a firebase-admin BatchResponse) to classify. */
export function isClassifiable(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Obj;
  if (typeof v.status === 'number' || typeof v.statusCode === 'number') return true;
  return Array.isArray(v.responses) && typeof v.failureCount === 'number';
}

/** The default conversion of what `send` produced into a classifier input. */
export function defaultToClassifyInput(
  provider: ProviderId,
  result: { value?: unknown; error?: unknown; requestSent?: boolean },
): ClassifyInput {
  if ('error' in result && result.error !== undefined) {
    const input: ClassifyInput = { provider, error: result.error };
    if (result.requestSent !== undefined) input.requestSent = result.requestSent;
    return input;
  }
  return valueToClassifyInput(provider, result.value);
}

/** `defaultToClassifyInput` for what a send function returned (no wrapper object). */
export function valueToClassifyInput(provider: ProviderId, value: unknown): ClassifyInput {
  const v = (value ?? {}) as Obj;
  if (Array.isArray(v.responses)) return { provider, status: 200, body: v };
  const status = typeof v.status === 'number' ? v.status : typeof v.statusCode === 'number' ? v.statusCode : undefined;
  const input: ClassifyInput = { provider, body: 'body' in v ? v.body : v.data };
  if (status !== undefined) input.status = status;
  if (v.headers !== undefined) input.headers = v.headers as never;
  if (Array.isArray(v.targets)) input.targets = v.targets as string[];
  return input;
}

/** A message id from a non-response result: a string, or `{ messageId | name | id }`. */
export function messageIdOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (value !== null && typeof value === 'object') {
    const v = value as Obj;
    // Named reads, not a loop over the names: a read by a variable key is slow, and this runs per message.
    if (typeof v.messageId === 'string') return v.messageId;
    if (typeof v.name === 'string') return v.name;
    if (typeof v.id === 'string') return v.id;
    if (typeof v.apnsId === 'string') return v.apnsId;
  }
  return undefined;
}
