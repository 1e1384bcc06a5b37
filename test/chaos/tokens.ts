/** Realistic random device tokens for tests (shapes from src/demo/campaign.ts). */
import { randomBytes } from 'node:crypto';

export const createFcmToken = (): string => `${randomBytes(16).toString('base64url').slice(0, 22)}:APA91b${randomBytes(101).toString('base64url').slice(0, 134)}`;
export const createApnsToken = (): string => randomBytes(32).toString('hex');
