/** `pushback/fcm`: an FCM HTTP v1 sender on reused HTTP/2 connections that plugs into the pushback engine. */
export { fcmSender, FCM_ORIGIN, type FcmSender } from './sender.js';
export { AccessTokenCache, normalizeAccessToken, type AccessTokenSource, type AccessTokenResult, type AccessTokenCacheOptions, type CurrentAccessToken } from './access-token.js';
export type { FcmMessage, FcmResponse, FcmSenderOptions } from './types.js';
export { TransportError, isTransportError } from '../transport/transport-error.js';
export { createFcmSender } from './create-fcm-sender.js';
export type { EngineOptions, EngineWrapped } from '../transport/with-engine.js';
