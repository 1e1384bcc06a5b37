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
