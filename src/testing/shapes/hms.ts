/**
 * Huawei HMS Push Kit response shapes: `{code, msg, requestId}` with `code` a string; 80100000 (partial
 * success) carries `msg` as a JSON string listing `illegal_tokens`.
 */
export const HMS_CODES: Readonly<Record<string, { status: number; msg: string }>> = Object.freeze({
  '80000000': { status: 200, msg: 'Success' },
  '80100000': { status: 200, msg: 'Some tokens are right, others are illegal' },
  '80100001': { status: 400, msg: 'Some request parameters are incorrect' },
  '80100003': { status: 400, msg: 'Incorrect message structure' },
  '80100004': { status: 400, msg: 'The message expiration time is earlier than the current time' },
  '80100013': { status: 400, msg: 'The collapse_key message field is invalid' },
  '80100016': { status: 400, msg: 'The message contains sensitive information' },
  '80100017': { status: 400, msg: 'A maximum of 100 topic-based messages can be sent at the same time' },
  '80100018': { status: 400, msg: 'Message content signature verification failed' },
  '80200001': { status: 401, msg: 'Oauth authentication error' },
  '80200003': { status: 401, msg: 'Oauth Token expired' },
  '80200005': { status: 401, msg: 'The JWT token has expired' },
  '80300002': { status: 403, msg: 'There is no permission to send a message to a specified device' },
  '80300007': { status: 400, msg: 'All the tokens are invalid' },
  '80300008': { status: 400, msg: 'The message body size exceeds the default value' },
  '80300010': { status: 400, msg: 'The number of tokens in the message body exceeds the default value' },
  '80300011': { status: 403, msg: 'You are not authorized to send high-priority notification messages' },
  '80300013': { status: 400, msg: 'The receipt URL is invalid or the receipt certificate has expired' },
  '80600003': { status: 401, msg: 'Request OAuth service failed' },
  '81000001': { status: 500, msg: 'System internal error' },
});

export function hmsBody(code: string, msg: string, requestId: string): string {
  return JSON.stringify({ code, msg, requestId });
}

/** The partial-success body: `msg` is a JSON string to be parsed again. */
export function hmsPartialBody(success: number, illegalTokens: readonly string[], requestId: string): string {
  const msg = JSON.stringify({ success, failure: illegalTokens.length, illegal_tokens: illegalTokens });
  return hmsBody('80100000', msg, requestId);
}

export function hmsErrorBody(code: string, requestId: string, msg?: string): { status: number; body: string } {
  const shape = HMS_CODES[code];
  return { status: shape?.status ?? 400, body: hmsBody(code, msg ?? shape?.msg ?? code, requestId) };
}
