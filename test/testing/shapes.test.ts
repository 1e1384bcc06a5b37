/**
 * Every server-side catalog code can be scripted and comes out in its provider's wire shape, with the
 * catalog's status. Derived from the shipped catalog (policies/*.json), not from a copy of it.
 */
import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/catalog/catalog.js';
import { APNS_REASONS, providerError, retryAfterValue, VENDORS, vendorSuccess } from '../../src/testing/index.js';
import type { CatalogEntry } from '../../src/types.js';

const parse = (body: unknown) => JSON.parse(String(body));
const server = (provider: string) => catalog().entries.filter((e) => e.provider === provider && e.scope === 'server');
const script = (e: CatalogEntry) => providerError(e.provider, e.code, { ...(e.context ? { context: e.context } : {}), tokens: ['tokA', 'tokB'], project: 'demo' });

describe('providerError against the catalog', () => {
  it('has catalog entries to check', () => {
    for (const p of ['apns', 'fcm', 'hms', 'firebase-admin', ...VENDORS]) expect([p, server(p).length > 0]).toEqual([p, true]);
  });

  it('APNs: every catalog reason with its status, {"reason"} body, timestamp only on 410', () => {
    for (const e of server('apns')) {
      const r = script(e);
      if (e.status !== null) expect([e.code, r.status]).toEqual([e.code, e.status]);
      if (e.action === 'ok') {
        expect(r.body).toBeUndefined();
        continue;
      }
      const body = parse(r.body);
      expect(body.reason).toBe(e.code);
      expect('timestamp' in body).toBe(r.status === 410);
      expect(APNS_REASONS[e.code]).toBe(r.status);
    }
  });

  it('FCM: every catalog code with its status, as FcmError errorCode or canonical status', () => {
    for (const e of server('fcm')) {
      const r = script(e);
      if (e.status !== null) expect([e.code, e.context, r.status]).toEqual([e.code, e.context, e.status]);
      const body = parse(r.body);
      if (e.action === 'ok') {
        expect(body.name).toMatch(/^projects\/demo\/messages\//);
        continue;
      }
      expect(body.error.code).toBe(r.status);
      const fcmError = body.error.details.find((d: { '@type': string }) => d['@type'].endsWith('FcmError'))?.errorCode;
      const wire = { UNREGISTERED_FID: 'UNREGISTERED', APNS_AUTH_ERROR: 'THIRD_PARTY_AUTH_ERROR' }[e.code] ?? e.code;
      expect([e.code, fcmError === wire || body.error.status === wire]).toEqual([e.code, true]);
    }
  });

  it('FCM INVALID_ARGUMENT: top level is the bad-payload reading, context token the bad-token reading', () => {
    const payload = parse(providerError('fcm', 'INVALID_ARGUMENT').body).error;
    expect(payload.details).toEqual([
      { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'INVALID_ARGUMENT' },
      { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'message.data[0].value', description: payload.message }] },
    ]);
    const token = parse(providerError('fcm', 'INVALID_ARGUMENT', { context: 'token' }).body).error;
    expect(token.details).toEqual([{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'INVALID_ARGUMENT' }]);
    expect(token.message).toBe('The registration token is not a valid FCM registration token');
  });

  it('HMS: every catalog code in {code,msg,requestId}; illegal_tokens as a partial success', () => {
    for (const e of server('hms')) {
      const r = script(e);
      if (e.status !== null) expect([e.code, r.status]).toEqual([e.code, e.status]);
      const body = parse(r.body);
      if (e.context === 'target') {
        expect(body.code).toBe('80100000');
        expect(JSON.parse(body.msg).illegal_tokens).toEqual(['tokA', 'tokB']);
      } else {
        expect([e.code, body.code]).toEqual([e.code, e.code]);
        expect(typeof body.msg).toBe('string');
      }
    }
  });

  it('vendors: every catalog code where each vendor puts it, success codes as successes, target codes listing the tokens', () => {
    const codeOf: Record<string, (b: any) => unknown> = {
      honor: (b) => b.code,
      xiaomi: (b) => b.code,
      oppo: (b) => b.code,
      vivo: (b) => b.result,
      meizu: (b) => b.code,
      tencent: (b) => b.ErrorCode,
      infobip: (b) => b.requestError?.serviceException?.messageId,
      cometchat: (b) => b.error?.code,
    };
    const targetsOf: Record<string, (b: any) => unknown> = {
      xiaomi: (b) => b.data.bad_regids.split(','),
      vivo: (b) => b.invalidUsers.map((u: { userid: string }) => u.userid),
      meizu: (b) => Object.values(b.value)[0],
      honor: (b) => b.data.failTokens?.length ? b.data.failTokens : b.data.expireTokens,
    };
    let checked = 0;
    for (const vendor of VENDORS) {
      for (const e of server(vendor)) {
        const body = parse(script(e).body);
        if (e.context === 'target') {
          expect([vendor, e.code, targetsOf[vendor]?.(body)]).toEqual([vendor, e.code, ['tokA', 'tokB']]);
          if (vendor === 'meizu') expect(Object.keys(body.value)).toEqual([e.code]);
        } else if (e.action === 'ok') {
          expect([vendor, e.code, body]).toEqual([vendor, e.code, vendorSuccess(vendor, 1).body]);
        } else {
          expect([vendor, String(codeOf[vendor]!(body))]).toEqual([vendor, e.code]);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('firebase-admin codes with an FCM wire form map to it', () => {
    const expected: Record<string, [number, string]> = {
      'messaging/registration-token-not-registered': [404, 'UNREGISTERED'],
      'messaging/message-rate-exceeded': [429, 'QUOTA_EXCEEDED'],
      'messaging/server-unavailable': [503, 'UNAVAILABLE'],
      'messaging/internal-error': [500, 'INTERNAL'],
      'messaging/third-party-auth-error': [401, 'THIRD_PARTY_AUTH_ERROR'],
    };
    for (const [code, [status, errorCode]] of Object.entries(expected)) {
      const r = providerError('firebase-admin', code);
      expect([code, r.status, parse(r.body).error.details[0].errorCode]).toEqual([code, status, errorCode]);
    }
    const cred = parse(providerError('firebase-admin', 'messaging/mismatched-credential').body).error;
    expect([cred.status, cred.details]).toEqual(['PERMISSION_DENIED', []]);
    const sender = parse(providerError('firebase-admin', 'messaging/mismatched-credential', { context: 'token' }).body).error;
    expect(sender.details[0].errorCode).toBe('SENDER_ID_MISMATCH');
  });
});

describe('retryAfterValue', () => {
  it('writes seconds, HTTP-dates and raw strings', () => {
    expect(retryAfterValue(12.2)).toBe('13');
    expect(retryAfterValue(new Date(Date.UTC(2030, 0, 1)))).toBe('Tue, 01 Jan 2030 00:00:00 GMT');
    expect(retryAfterValue('garbage')).toBe('garbage');
  });
});
