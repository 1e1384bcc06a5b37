import type { RouteName } from './faults.js';

export interface ParsedRoute {
  route: RouteName;
  provider: string;
  /** APNs path token. */
  token?: string;
  /** FCM project / HMS app id. */
  project?: string;
}

/**
 * Maps a request path to an endpoint:
 * `/v1/projects/{id}/messages:send` FCM · `/3/device/{token}` APNs · `/v1/{appId}/messages:send` HMS ·
 * `/vendor/{provider}/send` generic vendor. The query string is ignored.
 */
export function parseRoute(rawPath: string): ParsedRoute | undefined {
  const q = rawPath.indexOf('?');
  const path = q === -1 ? rawPath : rawPath.slice(0, q);
  if (path.startsWith('/3/device/')) {
    return { route: 'apns', provider: 'apns', token: decodeURIComponent(path.slice(10)) };
  }
  if (path === '/3/device') return { route: 'apns', provider: 'apns', token: '' };
  if (path.startsWith('/v1/') && path.endsWith('/messages:send')) {
    const middle = path.slice(4, -'/messages:send'.length);
    if (middle.startsWith('projects/')) {
      const project = middle.slice(9);
      return project && !project.includes('/') ? { route: 'fcm', provider: 'fcm', project } : undefined;
    }
    return middle && !middle.includes('/') ? { route: 'hms', provider: 'hms', project: middle } : undefined;
  }
  if (path.startsWith('/vendor/') && path.endsWith('/send')) {
    const provider = path.slice(8, -5);
    return provider && !provider.includes('/') ? { route: 'vendor', provider } : undefined;
  }
  return undefined;
}

const TARGET_FIELDS = ['token', 'tokens', 'regId', 'regIds', 'registration_id', 'pushId', 'pushIds', 'to'];

/** The targets of a vendor request: JSON or form fields named like the vendors' (comma-separated strings are split). */
export function vendorTargets(parsed: unknown, contentType: string | string[] | undefined): string[] | undefined {
  let fields: Record<string, unknown> | undefined;
  if (typeof parsed === 'object' && parsed !== null) fields = parsed as Record<string, unknown>;
  else if (typeof parsed === 'string' && String(contentType).includes('x-www-form-urlencoded')) fields = Object.fromEntries(new URLSearchParams(parsed));
  if (!fields) return undefined;
  for (const name of TARGET_FIELDS) {
    const v = fields[name];
    if (typeof v === 'string' && v) return v.split(',');
    if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  }
  return undefined;
}
