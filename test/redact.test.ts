import { describe, expect, it } from 'vitest';
import { redactText, redactToken } from '../src/redact.js';

describe('redactToken', () => {
  it('is stable, short and does not contain the token', () => {
    const token = 'cXk2ZGV2aWNlLXRva2VuLWFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OQ';
    expect(redactToken(token)).toBe(redactToken(token));
    expect(redactToken(token)).toMatch(/^tok:[0-9a-f]{10}$/);
    expect(redactToken(token)).not.toContain(token.slice(0, 8));
  });
});

describe('redactText', () => {
  it('removes long token-like runs, bearer credentials, JWTs and PEM keys', () => {
    const fcm = 'fGx7nYq0RZ2:APA91bHqz_very_long_registration_token_value_0123456789';
    const apns = 'a'.repeat(64);
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJURUFNIn0.c2lnbmF0dXJl';
    const text = `token ${fcm} and ${apns}; Authorization: Bearer ${jwt}\n-----BEGIN PRIVATE KEY-----\nMIGT\n-----END PRIVATE KEY-----`;
    const out = redactText(text);
    for (const secret of [fcm, apns, jwt, 'MIGT']) expect(out).not.toContain(secret);
    expect(out).toContain('token');
  });
  it('replaces known secrets even when short', () => {
    expect(redactText('key abc123 used', ['abc123'])).not.toContain('abc123');
  });
});
