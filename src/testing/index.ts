/** `pushback/testing`: a local fake FCM / APNs / HMS / vendor server for tests, demos and benchmarks. */
export { startFakeProvider } from './server.js';
export type { FakeProvider, FakeProviderOptions, MarkDeadOptions } from './api.js';
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
  vendorSuccess,
  vendorError,
  vendorTargetFailure,
  type FakeResponse,
  type ProviderErrorOptions,
  type VendorId,
} from './shapes/index.js';
export { startFakeProviderInWorker, type WorkerFakeOptions, type WorkerFakeProvider, type WorkerFaultRule } from './worker.js';
export { redirectHttp2, FCM_HTTP2_HOSTS, type Http2Redirect, type Http2RedirectOptions } from './http2-redirect.js';
