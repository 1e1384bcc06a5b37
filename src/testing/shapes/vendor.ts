/**
 * Success and error bodies of the other vendors' send APIs, for the generic `/vendor/{provider}/send`
 * endpoint. Most of them answer HTTP 200 and put the outcome in the body (vendors.md §2).
 */
export type VendorId = 'honor' | 'xiaomi' | 'oppo' | 'vivo' | 'meizu' | 'tencent' | 'infobip' | 'cometchat';

export const VENDORS: readonly VendorId[] = ['honor', 'xiaomi', 'oppo', 'vivo', 'meizu', 'tencent', 'infobip', 'cometchat'];

export function isVendorId(value: string): value is VendorId {
  return (VENDORS as readonly string[]).includes(value);
}

/** The vendor's success body for request number `n`. */
export function vendorSuccess(vendor: VendorId, n: number): { status: number; body: unknown } {
  const id = String(n);
  switch (vendor) {
    case 'honor':
      return { status: 200, body: { code: 200, message: 'success', data: { sendResult: true, requestId: id, failTokens: [], expireTokens: [] } } };
    case 'xiaomi':
      return {
        status: 200,
        body: { result: 'ok', trace_id: `Xcm${id}`, code: 0, description: '成功', info: 'Received push messages for 1 REGID', data: { id: `slm${id}` } },
      };
    case 'oppo':
      return { status: 200, body: { code: 0, message: 'Success', data: { messageId: id } } };
    case 'vivo':
      return { status: 200, body: { result: 0, desc: '请求成功', taskId: id } };
    case 'meizu':
      return { status: 200, body: { code: '200', message: '', value: {}, redirect: '', msgId: id } };
    case 'tencent':
      return { status: 200, body: { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', TaskId: id } };
    case 'infobip':
      return { status: 200, body: { messages: [{ messageId: id, status: { groupName: 'PENDING' } }] } };
    case 'cometchat':
      return { status: 200, body: { data: { id } } };
  }
}

/**
 * The vendor's error body for `code`. `status` is the HTTP status; vendors that report errors in a 200
 * body get 200 unless told otherwise.
 */
export function vendorError(vendor: VendorId, code: string, message: string, status?: number): { status: number; body: unknown } {
  const num = Number(code);
  const numeric = Number.isFinite(num) && code.trim() !== '' ? num : code;
  switch (vendor) {
    case 'honor':
      return { status: status ?? 200, body: { code: numeric, message, data: null } };
    case 'xiaomi':
      return { status: status ?? 200, body: { result: 'error', trace_id: 'Xcm0', code: numeric, description: message, reason: message } };
    case 'oppo':
      return { status: status ?? 200, body: { code: numeric, message } };
    case 'vivo':
      return { status: status ?? 200, body: { result: numeric, desc: message } };
    case 'meizu':
      return { status: status ?? 200, body: { code, message, value: {}, redirect: '' } };
    case 'tencent':
      return { status: status ?? 200, body: { ActionStatus: 'FAIL', ErrorCode: numeric, ErrorInfo: message } };
    case 'infobip':
      return { status: status ?? 400, body: { requestError: { serviceException: { messageId: code, text: message } } } };
    case 'cometchat':
      return { status: status ?? 400, body: { error: { code, message, details: {} } } };
  }
}

/**
 * A success that still lists failed targets, in the vendor's shape: Xiaomi `data.bad_regids` (comma
 * string), vivo `invalidUsers[]`, Meizu `value{code: [ids]}`, Honor `data.failTokens` / `data.expireTokens`.
 * `code` is the catalog's target-context code (for Meizu: the `value` key, default 110003 illegal pushId).
 * Returns undefined for vendors that do not report per-target failures in a send reply.
 */
export function vendorTargetFailure(vendor: VendorId, code: string, tokens: readonly string[], n: number): { status: number; body: unknown } | undefined {
  const ok = vendorSuccess(vendor, n);
  const body = ok.body as Record<string, any>;
  switch (vendor) {
    case 'xiaomi':
      body['data'] = { ...body['data'], bad_regids: tokens.join(',') };
      return ok;
    case 'vivo':
      body['invalidUsers'] = tokens.map((userid) => ({ status: 1, userid }));
      return ok;
    case 'meizu':
      body['value'] = { [/^\d+$/.test(code) ? code : '110003']: [...tokens] };
      return ok;
    case 'honor':
      body['data'] = { ...body['data'], [code === 'failTokens' ? 'failTokens' : 'expireTokens']: [...tokens] };
      if (code === 'failTokens') body['code'] = 80100000;
      return ok;
    default:
      return undefined;
  }
}
