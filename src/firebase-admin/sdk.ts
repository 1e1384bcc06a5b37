import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * What pushback knows about the firebase-admin copy behind a `Messaging` instance: its version, and
 * whether the private fields pushback touches are where they were in the versions it was tested with.
 *
 * pushback never imports firebase-admin at run time (it is an optional peer dependency, and the
 * application may hold a different copy than the one next to pushback): the version is read from the
 * package that defined the instance's class, found in the CommonJS module cache.
 */

/** Major versions whose private layout (`messagingRequestHandler.httpClient/http2Client.retry`, the
 * handler's `buildSendResponse*` and `invokeRequestHandler`) was checked by the test suite. */
export const TESTED_MAJORS: readonly number[] = [12, 13, 14];

export interface SdkInfo {
  /** e.g. `13.10.0`; `undefined` when it could not be determined. */
  version?: string;
  major?: number;
  /** The Messaging instance exposes `httpResponse` on errors natively (14+). */
  nativeHttpResponse: boolean;
  /** 13.3 to 13.x: session failures reject with `FirebaseMessagingSessionError` + `pendingBatchResponse`. */
  sessionErrorRejects: boolean;
  /** 12.3 to 13.2: an HTTP/2 session failure during `sendEach` throws inside a listener and crashes the
   * process (firebase-admin-node #2789). */
  sessionFailureCrashes: boolean;
  /** The private retry configs, when found where expected (else `undefined`). */
  retryClients?: RetryClient[];
  /** The private request handler, when found where expected. */
  handler?: RequestHandlerLike;
  /** Why the private layout is not usable, when it is not. */
  unsupportedReason?: string;
}

/** firebase-admin's private `RequestClient` (HttpClient, Http2Client): `retry` is a `RetryConfig` or null. */
export interface RetryClient {
  retry: RetryConfigLike | null | undefined;
}

export interface RetryConfigLike {
  maxRetries: number;
  statusCodes?: number[];
  ioErrorCodes?: string[];
  backOffFactor?: number;
  maxDelayInMillis: number;
}

/** firebase-admin's private `FirebaseMessagingRequestHandler`. */
export interface RequestHandlerLike {
  httpClient: RetryClient & { send(config: unknown): Promise<unknown> };
  http2Client?: RetryClient & { send(config: unknown): Promise<unknown> };
  invokeRequestHandler(host: string, path: string, data: unknown): Promise<unknown>;
  buildSendResponse?(response: unknown): { success: boolean; error?: unknown };
  buildSendResponseFromError?(error: unknown): { success: boolean; error?: unknown };
}

const require = createRequire(import.meta.url);

/** The version of the firebase-admin package whose `Messaging` class built `messaging`. */
export function findSdkVersion(messaging: object): string | undefined {
  const ctor = (messaging as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function') return undefined;
  for (const [file, mod] of Object.entries(require.cache)) {
    const exp = mod?.exports as Record<string, unknown> | undefined;
    if (!exp || typeof exp !== 'object' || exp.Messaging !== ctor) continue;
    const version = packageVersionAbove(file);
    if (version) return version;
  }
  return undefined;
}

function packageVersionAbove(file: string): string | undefined {
  let dir = dirname(file);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'firebase-admin' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      /* not a package root */
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

function isRetryClient(c: unknown): c is RetryClient & { send(config: unknown): Promise<unknown> } {
  if (!c || typeof c !== 'object' || !('retry' in c) || typeof (c as { send?: unknown }).send !== 'function') return false;
  const r = (c as RetryClient).retry;
  return r === null || (typeof r === 'object' && typeof r?.maxRetries === 'number' && typeof r.maxDelayInMillis === 'number');
}

/** Inspects a `Messaging` instance. `version` overrides detection (e.g. when firebase-admin is bundled). */
export function inspectSdk(messaging: object, version = findSdkVersion(messaging)): SdkInfo {
  const major = version ? Number.parseInt(version, 10) : undefined;
  const minor = version ? Number.parseInt(version.split('.')[1] ?? '0', 10) : 0;
  const info: SdkInfo = {
    version,
    major,
    nativeHttpResponse: major !== undefined && major >= 14,
    sessionErrorRejects: major === 13 && minor >= 3,
    sessionFailureCrashes: (major === 12 && minor >= 3) || (major === 13 && minor < 3),
  };
  const handler = (messaging as { messagingRequestHandler?: unknown }).messagingRequestHandler as RequestHandlerLike | undefined;
  if (major === undefined || !TESTED_MAJORS.includes(major)) {
    info.unsupportedReason = `firebase-admin ${version ?? '(version unknown)'} is not one of the tested majors ${TESTED_MAJORS.join(', ')}`;
  } else if (!handler || typeof handler !== 'object' || typeof handler.invokeRequestHandler !== 'function') {
    info.unsupportedReason = `firebase-admin ${version}: Messaging.messagingRequestHandler is not where it used to be`;
  } else if (!isRetryClient(handler.httpClient) || (handler.http2Client !== undefined && !isRetryClient(handler.http2Client))) {
    info.unsupportedReason = `firebase-admin ${version}: messagingRequestHandler.httpClient/http2Client.retry is not where it used to be`;
  } else {
    info.handler = handler;
    info.retryClients = handler.http2Client ? [handler.httpClient, handler.http2Client] : [handler.httpClient];
  }
  return info;
}
