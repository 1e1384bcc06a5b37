/**
 * Loads the real firebase-admin for the tests. `PUSHBACK_FIREBASE_ADMIN_FROM=<dir>` resolves it from
 * `<dir>/node_modules` instead of the repository's (the CI compatibility run points it at the
 * firebase-admin 14 copy installed in `.ci/compat/`).
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type * as AppModule from 'firebase-admin/app';
import type * as MessagingModule from 'firebase-admin/messaging';

const from = process.env.PUSHBACK_FIREBASE_ADMIN_FROM;
const load = createRequire(from ? join(resolve(from), 'package.json') : import.meta.url);

export const adminApp = load('firebase-admin/app') as typeof AppModule;
export const adminMessaging = load('firebase-admin/messaging') as typeof MessagingModule;
export const SDK_VERSION: string = adminApp.SDK_VERSION;
export const SDK_MAJOR = Number.parseInt(SDK_VERSION, 10);

let n = 0;

/** A fresh app (own name) with a fake credential: no network besides the FCM calls themselves. */
export function createTestApp(projectId = 'demo-project'): { app: AppModule.App; messaging: MessagingModule.Messaging; close(): Promise<void> } {
  const app = adminApp.initializeApp(
    {
      credential: { getAccessToken: async () => ({ access_token: 'test-access-token', expires_in: 3600 }) },
      projectId,
    },
    `pushback-test-${process.pid}-${++n}`,
  );
  return { app, messaging: adminMessaging.getMessaging(app), close: () => adminApp.deleteApp(app) };
}
