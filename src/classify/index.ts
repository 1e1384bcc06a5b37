/** The classifier: any send result → a verdict from the catalog. */
export { classify, type ClassifierOptions } from './classify.js';
export { DEFAULT_MAX_RETRY_AFTER_MS, parseDuration, parseRetryAfter, retryAfterMs, type RetryAfterClock, type RetryAfterInputs } from './retry-after.js';
export { TRANSPORT_CODES, transportCode, type TransportInfo } from './transport.js';
