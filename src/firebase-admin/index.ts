/** `pushback/firebase-admin`: a drop-in wrapper around firebase-admin's `Messaging`. */
export {
  wrapMessaging,
  type Envelope,
  type MessagingLike,
  type WrapMessagingOptions,
  type WrappedBatchResponse,
  type WrappedMessaging,
  type WrappedTopicResponse,
} from './wrap.js';
export { PushbackMessagingError } from './errors.js';
export { inspectSdk, findSdkVersion, TESTED_MAJORS, type SdkInfo } from './sdk.js';
export { applyInnerRetry, SDK_DEFAULT_MAX_RETRIES, type InnerRetryPlan, type SdkRetryMode } from './inner-retry.js';
export { polyfillHttpResponse } from './http-response.js';
export { expandMulticast, FCM_MAX_BATCH_SIZE, TOPIC_MAX_BATCH_SIZE } from './batch.js';
