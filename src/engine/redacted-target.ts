import { redactToken } from '../redact.js';
import type { Target } from '../types.js';
import type { RedactedTarget } from './types.js';

/** The target as it may appear in events and errors: the device token redacted, no credential. */
export function redactTarget(t: Target): RedactedTarget {
  const out: RedactedTarget = { project: t.project };
  if (t.token !== undefined) out.token = redactToken(t.token);
  if (t.topic !== undefined) out.topic = t.topic;
  return out;
}
