/** HMS, Honor, Xiaomi, OPPO, vivo, Meizu, Tencent, Infobip, CometChat: shapes from vendors.md §2–3. */
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { entry, expectEntry } from './helpers.js';

describe('classify hms', () => {
  it('success, errors inside HTTP 200, and string codes', () => {
    const ok = classify({ provider: 'hms', status: 200, body: { code: '80000000', msg: 'Success', requestId: '157440955549500001002006' } });
    expectEntry(ok, 'hms', '80000000');
    expect(ok.messageId).toBe('157440955549500001002006');
    expectEntry(classify({ provider: 'hms', status: 200, body: { code: '80300008', msg: 'The message body size exceeds the default value' } }), 'hms', '80300008');
    expectEntry(classify({ provider: 'hms', status: 400, body: { code: 80100003, msg: 'Illegal message structure' } }), 'hms', '80100003');
  });

  it('80100000: the msg JSON string lists illegal_tokens; the rest of the targets are ok', () => {
    const msg = JSON.stringify({ success: 2, failure: 1, illegal_tokens: ['tokBad'] });
    const v = classify({ provider: 'hms', status: 200, body: { code: '80100000', msg, requestId: 'r' }, targets: ['tokA', 'tokBad', 'tokC'] });
    expectEntry(v, 'hms', '80100000');
    const dead = entry('hms', 'illegal_tokens', 'target');
    expect(v.tokens).toEqual({ tokBad: { action: dead.action, code: 'illegal_tokens' }, tokA: { action: 'ok', code: '80000000' }, tokC: { action: 'ok', code: '80000000' } });
    expect(v.reason).not.toContain('tokBad');
  });

  it('expired OAuth token refreshes the credential; HTTP 503 without a body is flow control', () => {
    const v = classify({ provider: 'hms', status: 401, body: { code: '80200003', msg: 'OAuth token expired.' } });
    expectEntry(v, 'hms', '80200003');
    expect(v.refreshCredential).toBe(true);
    const flow = classify({ provider: 'hms', status: 503, body: '' });
    expectEntry(flow, 'hms', '503');
    expect(flow.action).toBe('retry');
  });

  it('a 200 without a readable code is not taken for a success', () => {
    const v = classify({ provider: 'hms', status: 200, body: '<html>maintenance</html>' });
    expect(v).toMatchObject({ code: 'UNKNOWN', action: 'retry', known: false, maybeDelivered: true });
  });
});

describe('classify honor', () => {
  it('success in both conventions, failTokens and expireTokens per target', () => {
    expectEntry(classify({ provider: 'honor', status: 200, body: { code: 200, message: 'success', data: { sendResult: true, requestId: 'r1' } } }), 'honor', '200');
    expectEntry(classify({ provider: 'honor', status: 200, body: { code: '80000000', msg: 'Success' } }), 'honor', '80000000');
    const v = classify({ provider: 'honor', status: 200, body: { code: 80100000, message: 'some tokens failed', data: { sendResult: true, failTokens: ['f1'], expireTokens: ['e1'] } }, targets: ['f1', 'e1', 'ok1'] });
    expectEntry(v, 'honor', '80100000');
    expect(v.tokens).toEqual({
      f1: { action: entry('honor', 'failTokens', 'target').action, code: 'failTokens' },
      e1: { action: entry('honor', 'expireTokens', 'target').action, code: 'expireTokens' },
      ok1: { action: 'ok', code: '200' },
    });
  });

  it('a body 403 is an expired credential', () => {
    expectEntry(classify({ provider: 'honor', status: 200, body: { code: 403, message: 'Authentication failed' } }), 'honor', '403');
  });
});

describe('classify xiaomi', () => {
  it('ok with message id; failures inside the success in bad_regids (comma string)', () => {
    const v = classify({ provider: 'xiaomi', status: 200, body: { result: 'ok', trace_id: 't', code: 0, data: { id: 'scm01', bad_regids: 'r1, r2' }, description: '成功' }, targets: ['r1', 'r2', 'r3'] });
    expectEntry(v, 'xiaomi', '0');
    expect(v.messageId).toBe('scm01');
    const dead = entry('xiaomi', 'bad_regids', 'target').action;
    expect(v.tokens).toEqual({ r1: { action: dead, code: 'bad_regids' }, r2: { action: dead, code: 'bad_regids' }, r3: { action: 'ok', code: '0' } });
  });
  it('error codes in the body', () => {
    expectEntry(classify({ provider: 'xiaomi', status: 200, body: { result: 'error', code: 21301, description: '认证失败', reason: 'Authentication failed' } }), 'xiaomi', '21301');
    const quota = classify({ provider: 'xiaomi', status: 200, body: { result: 'error', code: 200001, reason: 'daily limit' } });
    expectEntry(quota, 'xiaomi', '200001');
    expect(quota.retryAfterMs).toBe(entry('xiaomi', '200001').minRetryDelayMs);
  });
});

describe('classify oppo', () => {
  it('code 0 is ok with messageId; other codes from the body', () => {
    const ok = classify({ provider: 'oppo', status: 200, body: { code: 0, message: 'Success', data: { messageId: 'm1' } } });
    expectEntry(ok, 'oppo', '0');
    expect(ok.messageId).toBe('m1');
    const auth = classify({ provider: 'oppo', status: 200, body: { code: 11, message: 'Invalid AuthToken' } });
    expectEntry(auth, 'oppo', '11');
    expect(auth.refreshCredential).toBe(true);
    expectEntry(classify({ provider: 'oppo', status: 200, body: { code: -2, message: 'Server flow control' } }), 'oppo', '-2');
  });
});

describe('classify vivo', () => {
  it('result 0 is ok with taskId; invalidUsers per target', () => {
    const ok = classify({ provider: 'vivo', status: 200, body: { result: 0, desc: '请求成功', taskId: '12139732' } });
    expectEntry(ok, 'vivo', '0');
    expect(ok.messageId).toBe('12139732');
    const v = classify({ provider: 'vivo', status: 200, body: { result: 0, desc: '请求成功', taskId: '1', invalidUsers: [{ status: 1, userid: 'u1' }, { status: 2, userid: 'u2' }] }, targets: ['u1', 'u2', 'u3'] });
    const dead = entry('vivo', 'invalidUsers', 'target').action;
    expect(v.tokens).toEqual({ u1: { action: dead, code: 'invalidUsers' }, u2: { action: dead, code: 'invalidUsers' }, u3: { action: 'ok', code: '0' } });
  });
  it('business errors and the auth token expiry', () => {
    expectEntry(classify({ provider: 'vivo', status: 200, body: { result: 10070, desc: '超过总量限制' } }), 'vivo', '10070');
    const auth = classify({ provider: 'vivo', status: 200, body: { result: 10000, desc: '权限认证失败' } });
    expect(auth.refreshCredential).toBe(true);
    expect(classify({ provider: 'vivo', status: 500, body: 'Internet server error!' })).toMatchObject({ action: 'retry', code: 'HTTP_500', known: false });
  });
});

describe('classify meizu', () => {
  it('string codes, errors in HTTP 200', () => {
    const ok = classify({ provider: 'meizu', status: 200, body: { code: '200', message: '', value: {}, redirect: '', msgId: 'NS1' } });
    expectEntry(ok, 'meizu', '200');
    expect(ok.tokens).toBeUndefined();
    expectEntry(classify({ provider: 'meizu', status: 200, body: { code: '1006', message: '签名认证失败' } }), 'meizu', '1006');
  });
});

describe('classify tencent', () => {
  it('ErrorCode 0 is ok; other codes inside HTTP 200', () => {
    const ok = classify({ provider: 'tencent', status: 200, body: { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0, TaskId: 'task-1' } });
    expectEntry(ok, 'tencent', '0');
    expect(ok.messageId).toBe('task-1');
    const freq = classify({ provider: 'tencent', status: 200, body: { ActionStatus: 'FAIL', ErrorInfo: 'push too frequent', ErrorCode: 90024 } });
    expectEntry(freq, 'tencent', '90024');
    expect(freq.retryAfterMs).toBe(entry('tencent', '90024').minRetryDelayMs);
  });
});

describe('classify infobip', () => {
  it('2xx is ok; numeric 0 is an error; SDK codes', () => {
    const ok = classify({ provider: 'infobip', status: 200, body: { bulkId: 'b', messages: [{ to: '41793026727', messageId: 'mid-1' }] } });
    expectEntry(ok, 'infobip', '200');
    expect(ok.messageId).toBe('mid-1');
    const zero = classify({ provider: 'infobip', error: { code: 0, details: 'Something went wrong [10000]' } });
    expectEntry(zero, 'infobip', '0');
    expect(zero.action).not.toBe('ok');
    expectEntry(classify({ provider: 'infobip', error: { code: 'NO_REGISTRATION', message: 'Push registration expired' } }), 'infobip', 'NO_REGISTRATION');
    const http = classify({ provider: 'infobip', status: 400, body: { requestError: { serviceException: { messageId: 'BAD_REQUEST', text: 'Bad request' } } } });
    expect(http).toMatchObject({ code: 'BAD_REQUEST', action: 'fix-request', known: false });
    expect(classify({ provider: 'infobip', status: 401, body: { requestError: { serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' } } } }).action).toBe('fatal');
  });
});

describe('classify cometchat', () => {
  it('error.code from REST bodies and SDK exceptions; 429 with Retry-After', () => {
    const rl = classify({ provider: 'cometchat', status: 429, headers: { 'Retry-After': '60', 'X-Rate-Limit-Remaining': '0' }, body: { error: { code: 'ERR_TOO_MANY_REQUESTS', message: 'Too many requests.' } } });
    expectEntry(rl, 'cometchat', 'ERR_TOO_MANY_REQUESTS');
    expect(rl.retryAfterMs).toBe(60_000);
    expectEntry(classify({ provider: 'cometchat', status: 404, body: { error: { code: 'ERR_UID_NOT_FOUND', message: 'The UID does not exist.', details: {} } } }), 'cometchat', 'ERR_UID_NOT_FOUND');
    expectEntry(classify({ provider: 'cometchat', error: { code: 'AUTH_ERR_APIKEY_NOT_FOUND', name: 'CometChatException', message: 'API key not found' } }), 'cometchat', 'AUTH_ERR_APIKEY_NOT_FOUND');
    expectEntry(classify({ provider: 'cometchat', status: 200, body: { data: { uid: 'u1' } } }), 'cometchat', '200');
  });
});
