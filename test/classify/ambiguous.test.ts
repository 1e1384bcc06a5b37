/** The ambiguous codes: FCM INVALID_ARGUMENT (token or payload) in every shape, firebase-admin mismatched-credential, Meizu 110010. */
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { BAD_REQUEST, FCM_ERROR, expectEntry } from './helpers.js';

const TOKEN_TEXT = 'The registration token is not a valid FCM registration token';
const PAYLOAD_TEXT = "Invalid value at 'message.data[0].value' (TYPE_STRING), 12";
const tokenBody = { error: { code: 400, message: TOKEN_TEXT, status: 'INVALID_ARGUMENT', details: [{ '@type': FCM_ERROR, errorCode: 'INVALID_ARGUMENT' }] } };
const payloadBody = { error: { code: 400, message: PAYLOAD_TEXT, status: 'INVALID_ARGUMENT', details: [{ '@type': BAD_REQUEST, fieldViolations: [{ field: 'message.data[0].value', description: PAYLOAD_TEXT }] }] } };
const verboseTokenBody = { error: { code: 400, message: 'Invalid registration', status: 'INVALID_ARGUMENT', details: [{ '@type': FCM_ERROR, errorCode: 'INVALID_ARGUMENT' }, { '@type': BAD_REQUEST, fieldViolations: [{ field: 'message.token', description: 'Invalid registration token' }] }] } };
const verbosePayloadBody = { error: { code: 400, message: 'Invalid payload', status: 'INVALID_ARGUMENT', details: [{ '@type': FCM_ERROR, errorCode: 'INVALID_ARGUMENT' }, { '@type': BAD_REQUEST, fieldViolations: [{ field: 'message.android.ttl', description: 'Invalid duration' }] }] } };

describe('FCM INVALID_ARGUMENT: token or payload', () => {
  it.each([
    ['FcmError INVALID_ARGUMENT (documented bad-token example)', tokenBody, 'token'],
    ['BadRequest on message.token plus FcmError (verbose)', verboseTokenBody, 'token'],
    ['only the message text', { error: { code: 400, message: TOKEN_TEXT, status: 'INVALID_ARGUMENT' } }, 'token'],
    ['BadRequest on a data field (documented bad-payload example)', payloadBody, undefined],
    ['FcmError plus BadRequest on another field', verbosePayloadBody, undefined],
    ['no details, other text', { error: { code: 400, message: 'Request contains an invalid argument.', status: 'INVALID_ARGUMENT' } }, undefined],
  ] as const)('raw fcm response: %s', (_name, body, context) => {
    for (const b of [body, JSON.stringify(body), Buffer.from(JSON.stringify(body))]) {
      const v = classify({ provider: 'fcm', status: 400, body: b });
      expectEntry(v, 'fcm', 'INVALID_ARGUMENT', context);
      expect(v.action).toBe(context === 'token' ? 'drop-token' : 'fix-request');
    }
  });

  it('firebase-admin v12/v13: only code + message, split on the message text', () => {
    const v13 = (message: string) => ({ errorInfo: { code: 'messaging/invalid-argument', message }, codePrefix: 'messaging', code: 'messaging/invalid-argument', message });
    expectEntry(classify({ provider: 'firebase-admin', error: v13(TOKEN_TEXT) }), 'firebase-admin', 'messaging/invalid-argument', 'token');
    expectEntry(classify({ provider: 'firebase-admin', error: v13(PAYLOAD_TEXT) }), 'firebase-admin', 'messaging/invalid-argument');
    // errorInfo only (a serialised error: toJSON() gives {code, message})
    expectEntry(classify({ provider: 'firebase-admin', error: { errorInfo: { code: 'messaging/invalid-argument', message: TOKEN_TEXT } } }), 'firebase-admin', 'messaging/invalid-argument', 'token');
    // hasCode() accepts the code without the prefix
    expectEntry(classify({ provider: 'firebase-admin', error: { code: 'invalid-argument', message: TOKEN_TEXT } }), 'firebase-admin', 'messaging/invalid-argument', 'token');
  });

  it('firebase-admin v14: httpResponse.data decides, even when the message text says otherwise', () => {
    const v14 = (data: unknown, message = 'Request contains an invalid argument.') => ({
      code: 'messaging/invalid-argument', message, errorInfo: { code: 'messaging/invalid-argument', message },
      httpResponse: { status: 400, headers: { 'content-type': 'application/json; charset=UTF-8' }, data },
    });
    const tok = classify({ provider: 'firebase-admin', error: v14(tokenBody) });
    expectEntry(tok, 'firebase-admin', 'messaging/invalid-argument', 'token');
    expect(tok.status).toBe(400);
    expectEntry(classify({ provider: 'firebase-admin', error: v14(verboseTokenBody) }), 'firebase-admin', 'messaging/invalid-argument', 'token');
    expectEntry(classify({ provider: 'firebase-admin', error: v14(payloadBody, TOKEN_TEXT) }), 'firebase-admin', 'messaging/invalid-argument');
    expectEntry(classify({ provider: 'firebase-admin', error: v14(verbosePayloadBody) }), 'firebase-admin', 'messaging/invalid-argument');
    expectEntry(classify({ provider: 'firebase-admin', error: v14(JSON.stringify(tokenBody)) }), 'firebase-admin', 'messaging/invalid-argument', 'token');
  });

  it('a firebase-admin BatchResponse splits per token', () => {
    const targets = ['tok-a', 'tok-b', 'tok-c'];
    const body = {
      successCount: 1, failureCount: 2,
      responses: [
        { success: true, messageId: 'projects/demo/messages/1' },
        { success: false, error: { code: 'messaging/invalid-argument', message: TOKEN_TEXT } },
        { success: false, error: { code: 'messaging/invalid-argument', message: PAYLOAD_TEXT } },
      ],
    };
    const v = classify({ provider: 'firebase-admin', status: 200, body, targets });
    expect(v).toMatchObject({ action: 'ok', code: 'PARTIAL_FAILURE' });
    expect(v.tokens).toEqual({ 'tok-a': { action: 'ok', code: 'ok' }, 'tok-b': { action: 'drop-token', code: 'messaging/invalid-argument' }, 'tok-c': { action: 'fix-request', code: 'messaging/invalid-argument' } });
  });
});

describe('firebase-admin mismatched-credential', () => {
  it('is about the token for SENDER_ID_MISMATCH, about the credential otherwise', () => {
    const err = (message: string, data?: unknown) => ({ code: 'messaging/mismatched-credential', message, ...(data ? { httpResponse: { status: 403, headers: {}, data } } : {}) });
    expectEntry(classify({ provider: 'firebase-admin', error: err('SenderId mismatch') }), 'firebase-admin', 'messaging/mismatched-credential', 'token');
    expectEntry(classify({ provider: 'firebase-admin', error: err('Permission denied: the caller does not have permission') }), 'firebase-admin', 'messaging/mismatched-credential');
    const sender = { error: { code: 403, message: 'x', status: 'PERMISSION_DENIED', details: [{ '@type': FCM_ERROR, errorCode: 'SENDER_ID_MISMATCH' }] } };
    expectEntry(classify({ provider: 'firebase-admin', error: err('x', sender) }), 'firebase-admin', 'messaging/mismatched-credential', 'token');
    expectEntry(classify({ provider: 'firebase-admin', error: err('SenderId mismatch', { error: { code: 403, message: 'x', status: 'PERMISSION_DENIED' } }) }), 'firebase-admin', 'messaging/mismatched-credential');
  });
});

describe('Meizu 110010: rate limit at the top, dead pushId per target', () => {
  it('top-level 110010 is a rate limit with a floor', () => {
    const v = classify({ provider: 'meizu', status: 200, body: { code: '110010', message: '应用请求频率超过限制', value: {}, redirect: '' } });
    const e = expectEntry(v, 'meizu', '110010');
    expect(v.action).toBe('retry');
    expect(v.retryAfterMs).toBe(e.minRetryDelayMs ?? null);
    expect(v.tokens).toBeUndefined();
  });

  it('110010 in the value map drops that pushId and keeps the response ok', () => {
    const v = classify({ provider: 'meizu', status: 200, body: { code: '200', message: '', value: { '110010': ['pushIdA'], '110002': ['pushIdB'], '520': ['pushIdC'] }, msgId: 'NS2016' }, targets: ['pushIdA', 'pushIdB', 'pushIdC', 'pushIdD'] });
    expectEntry(v, 'meizu', '200');
    expect(v.messageId).toBe('NS2016');
    expect(v.tokens).toEqual({
      pushIdA: { action: 'drop-token', code: '110010' },
      pushIdB: { action: 'drop-token', code: '110002' },
      pushIdC: { action: 'retry', code: '520' },
      pushIdD: { action: 'ok', code: '200' },
    });
  });
});

describe('raw FCM responses given as firebase-admin', () => {
  it('map to the SDK code the same way firebase-admin does', () => {
    const gone = classify({ provider: 'firebase-admin', status: 404, body: { error: { code: 404, status: 'NOT_FOUND', message: 'x', details: [{ '@type': FCM_ERROR, errorCode: 'UNREGISTERED' }] } } });
    expectEntry(gone, 'firebase-admin', 'messaging/registration-token-not-registered');
    expectEntry(classify({ provider: 'firebase-admin', status: 400, body: JSON.stringify(tokenBody) }), 'firebase-admin', 'messaging/invalid-argument', 'token');
    expectEntry(classify({ provider: 'firebase-admin', status: 200, body: { name: 'projects/demo/messages/1' } }), 'firebase-admin', 'ok');
  });
});
