/** `pushback/apns`: an APNs (token auth, HTTP/2) sender that plugs into the pushback engine. */
export { apnsSender, parseApnsBody, type ApnsSender } from './sender.js';
export { ProviderTokenCache, signProviderToken, DEFAULT_TOKEN_REFRESH_MS, MIN_TOKEN_AGE_MS, MAX_TOKEN_AGE_MS, type CurrentToken, type ProviderTokenOptions } from './provider-token.js';
export { buildApnsRequest, payloadLimit, topicFor, APNS_PAYLOAD_LIMIT, APNS_VOIP_PAYLOAD_LIMIT, APNS_COLLAPSE_ID_LIMIT, TOPIC_SUFFIX, type ApnsRequest, type ApnsLocalRejection } from './request.js';
export { APNS_HOSTS, APNS_PUSH_TYPES, type ApnsEnvironment, type ApnsNotification, type ApnsPushType, type ApnsResponse, type ApnsSenderOptions, type ApnsTokenKey } from './types.js';
export { TransportError, isTransportError } from '../transport/transport-error.js';
export { createApnsSender } from './create-apns-sender.js';
export type { EngineOptions, EngineWrapped } from '../transport/with-engine.js';
