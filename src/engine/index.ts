/** The send engine: `createSender`, the pure `decide`, backoff, and the in-memory stores. */
export { createSender } from './sender.js';
export { decide, retryFloorMs } from './decide.js';
export { backoffCeiling, backoffDelay, seededRandom, type BackoffParams } from './backoff.js';
export { resolveRetryOptions, RETRY_DEFAULTS } from './retry-options.js';
export { defaultCollapsible, defaultDeadline, parseTtlMs } from './message-fields.js';
export { MemoryDeviceCounterStore } from './device-store.js';
export { MemoryValveStore } from './valve-store.js';
export { Admission } from './admission.js';
export { rateLimitScope, type RateScope } from './rate-limit-scope.js';
export { PruneHookError, SendError } from './send-error.js';
export { redactTarget } from './redacted-target.js';
export { OUTCOME_OF } from './types.js';
export type * from './types.js';
