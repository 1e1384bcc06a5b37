import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectSdk, TESTED_MAJORS } from '../../src/firebase-admin/sdk.js';
import { createTestApp, SDK_MAJOR, SDK_VERSION } from '../helpers/firebase-admin.js';

const apps: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe('inspectSdk (the guard for the private fields pushback touches)', () => {
  it('finds the version of the firebase-admin copy that built the instance', () => {
    const t = createTestApp();
    apps.push(t);
    const info = inspectSdk(t.messaging);
    expect(info.version).toBe(SDK_VERSION);
    expect(info.major).toBe(SDK_MAJOR);
    expect(info.nativeHttpResponse).toBe(SDK_MAJOR >= 14);
  });

  // If this fails after a firebase-admin upgrade, the private retry configs or the request handler
  // moved: re-check `src/firebase-admin/inner-retry.ts` and `http-response.ts` against the new source
  // and add the major to TESTED_MAJORS only then.
  it('finds messagingRequestHandler.httpClient.retry and .http2Client.retry where they were', () => {
    const t = createTestApp();
    apps.push(t);
    expect(TESTED_MAJORS).toContain(SDK_MAJOR);
    const info = inspectSdk(t.messaging);
    expect(info.unsupportedReason).toBeUndefined();
    expect(info.retryClients).toHaveLength(2);
    for (const c of info.retryClients ?? []) {
      expect(c.retry).toMatchObject({ maxRetries: 4, statusCodes: [503], ioErrorCodes: ['ECONNRESET', 'ETIMEDOUT'], maxDelayInMillis: 60000 });
    }
    expect(typeof info.handler?.invokeRequestHandler).toBe('function');
    expect(typeof info.handler?.buildSendResponse).toBe('function');
    expect(typeof info.handler?.buildSendResponseFromError).toBe('function');
  });

  // The CI compatibility run (.ci/compat-firebase-admin.sh) sets these: a run that silently used the
  // wrong firebase-admin copy or the wrong Node binary fails here.
  it('runs with the firebase-admin and Node the run asked for', () => {
    // Without the variables: the major of the repository's devDependency, and a Node that meets `engines`.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };
    const major = process.env.PUSHBACK_EXPECT_FIREBASE_ADMIN_MAJOR ?? /\d+/.exec(pkg.devDependencies['firebase-admin'] ?? '')?.[0];
    expect(String(SDK_MAJOR)).toBe(major);
    const nodeMajor = Number(process.versions.node.split('.')[0]);
    if (process.env.PUSHBACK_EXPECT_NODE_MAJOR) expect(nodeMajor).toBe(Number(process.env.PUSHBACK_EXPECT_NODE_MAJOR));
    else expect(nodeMajor).toBeGreaterThanOrEqual(20);
  });

  it('refuses an untested major and a moved layout', () => {
    const t = createTestApp();
    apps.push(t);
    expect(inspectSdk(t.messaging, '99.0.0').unsupportedReason).toMatch(/not one of the tested majors/);
    expect(inspectSdk(t.messaging, '99.0.0').retryClients).toBeUndefined();
    const fake = { constructor: t.messaging.constructor, messagingRequestHandler: { invokeRequestHandler() {}, httpClient: { send() {}, config: {} } } };
    expect(inspectSdk(fake, SDK_VERSION).unsupportedReason).toMatch(/retry is not where it used to be/);
    expect(inspectSdk({}, SDK_VERSION).unsupportedReason).toMatch(/messagingRequestHandler/);
    expect(inspectSdk({}).version).toBeUndefined();
  });
});
