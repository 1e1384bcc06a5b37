/** `pushback/testing`: a local fake FCM / APNs / HMS / vendor server for tests, demos and benchmarks. */
export { startFakeProvider, type FakeProvider, type FakeProviderOptions, type MarkDeadOptions } from './server.js';
export type { Fault, FaultRule, GoawayOptions, RandomFault, RandomFaultOptions, RequestInfo, RouteName, RouteMatch } from './faults.js';
export type { LogEntry, LogFilter, MaxRateOptions, Stats } from './recorder.js';
export type { RateLimit, RateLimits } from './rate.js';
export { generateApnsKey, signApnsJwt, type ApnsKey, type ApnsTestKey } from './jwt.js';
export { testCertificate, type TestCertificate } from './cert.js';
export {
  providerError,
  retryAfterValue,
  APNS_REASONS,
  FCM_CODES,
  HMS_CODES,
  VENDORS,
  type FakeResponse,
  type ProviderErrorOptions,
  type VendorId,
} from './shapes/index.js';
