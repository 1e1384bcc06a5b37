/** Reads the APNs-style `{"reason": "..."}` from GOAWAY debug data, if any (else its first 200 characters). */
export function goawayReason(data: Buffer | undefined): string | undefined {
  if (!data || data.length === 0) return undefined;
  const text = data.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { reason?: unknown };
    if (typeof parsed?.reason === 'string') return parsed.reason;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 200);
}
