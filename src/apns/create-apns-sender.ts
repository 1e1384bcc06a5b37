import { withEngine, type EngineOptions, type EngineWrapped } from '../transport/with-engine.js';
import { apnsSender, type ApnsSender } from './sender.js';
import type { ApnsNotification, ApnsSenderOptions } from './types.js';

/**
 * An APNs sender wrapped in the pushback engine: retries with backoff, ExpiredProviderToken refresh,
 * per-device cool-downs, `onDropToken` with the 410 timestamp (`invalidSince`), the prune valve and the
 * fatal circuit. `engine` takes every `createSender` option except `provider`, `target` and
 * `refreshCredential`, which come from the APNs sender.
 */
export function createApnsSender(options: ApnsSenderOptions, engine?: EngineOptions<ApnsNotification>): EngineWrapped<ApnsNotification, ApnsSender> {
  return withEngine('apns', apnsSender(options), engine);
}
