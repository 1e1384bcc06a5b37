import { withEngine, type EngineOptions, type EngineWrapped } from '../transport/with-engine.js';
import { fcmSender, type FcmSender } from './sender.js';
import type { FcmMessage, FcmSenderOptions } from './types.js';

/**
 * An FCM HTTP v1 sender wrapped in the pushback engine: retries that honour Retry-After and FCM's 10 s
 * floor, one access-token refresh on 401, project and device limits, `onDropToken`, the prune valve and
 * the fatal circuit. `engine` takes every `createSender` option except `provider`, `target` and
 * `refreshCredential`, which come from the FCM sender.
 */
export function createFcmSender(options: FcmSenderOptions, engine?: EngineOptions<FcmMessage>): EngineWrapped<FcmMessage, FcmSender> {
  return withEngine('fcm', fcmSender(options), engine);
}
