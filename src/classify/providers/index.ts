/** One body extractor per provider, and each provider's success code (the team's convention with the catalog). */
import type { ProviderId } from '../../types.js';
import type { BodyExtractor, Extraction } from '../extraction.js';
import { apnsBody } from './apns.js';
import { cometchatBody } from './cometchat.js';
import { fcmBody, fcmSuccessText } from './fcm.js';
import { firebaseAdminBody } from './firebase-admin.js';
import { hmsBody } from './hms.js';
import { honorBody } from './honor.js';
import { infobipBody } from './infobip.js';
import { meizuBody } from './meizu.js';
import { oppoBody } from './oppo.js';
import { tencentBody } from './tencent.js';
import { vivoBody } from './vivo.js';
import { xiaomiBody } from './xiaomi.js';

export const BODY_EXTRACTORS: Readonly<Record<ProviderId, BodyExtractor>> = {
  fcm: fcmBody,
  'firebase-admin': firebaseAdminBody,
  apns: apnsBody,
  hms: hmsBody,
  honor: honorBody,
  xiaomi: xiaomiBody,
  oppo: oppoBody,
  vivo: vivoBody,
  meizu: meizuBody,
  tencent: tencentBody,
  infobip: infobipBody,
  cometchat: cometchatBody,
};

/** Success codes: a verdict with one of these is `ok` even if the catalog lacks the entry. */
export const SUCCESS_CODES: Readonly<Record<ProviderId, readonly string[]>> = {
  fcm: ['200'],
  'firebase-admin': ['ok'],
  apns: ['200'],
  hms: ['80000000'],
  honor: ['200', '80000000'],
  xiaomi: ['0'],
  oppo: ['0'],
  vivo: ['0'],
  meizu: ['200'],
  tencent: ['0'],
  infobip: ['200'],
  cometchat: ['200'],
};

/** Providers that report errors inside HTTP 2xx bodies: a 2xx without a readable code is not a success. */
export const CODE_IN_BODY: ReadonlySet<ProviderId> = new Set<ProviderId>(['hms', 'honor', 'xiaomi', 'oppo', 'vivo', 'meizu', 'tencent']);

/**
 * Per provider, an optional reader of a 2xx text body in the provider's exact success shape, without
 * `JSON.parse`: an extraction equal to what the body extractor gives for the parsed body, or undefined
 * (then the body takes the full path).
 */
export const SUCCESS_TEXT_READERS: Readonly<Partial<Record<ProviderId, (text: string) => Extraction | undefined>>> = {
  fcm: fcmSuccessText,
};
