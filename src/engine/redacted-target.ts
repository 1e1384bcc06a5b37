import { redactToken } from '../redact.js';
import type { Target, Verdict } from '../types.js';
import type { RedactedTarget } from './types.js';

/** The target as it may appear in events and errors: the device token redacted, no credential. */
export function redactTarget(t: Target): RedactedTarget {
  const out: RedactedTarget = { project: t.project };
  if (t.token !== undefined) out.token = redactToken(t.token);
  if (t.topic !== undefined) out.topic = t.topic;
  return out;
}

/** The verdict as it may appear in events: per-token map keys redacted (hooks get the raw verdict). */
export function redactVerdict(v: Verdict): Verdict {
  if (!v.tokens) return v;
  const tokens: NonNullable<Verdict['tokens']> = Object.create(null);
  for (const [token, tv] of Object.entries(v.tokens)) tokens[redactToken(token)] = tv;
  return { ...v, tokens };
}
