/** Small real clients for the fake server tests: node:http2 and undici over TLS, and HTTP/1.1. */
import http from 'node:http';
import http2 from 'node:http2';
import { Client } from 'undici';
import type { FakeProvider } from '../../src/testing/index.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One HTTP/2 session (node:http2) to the fake server. */
export function h2Session(fake: FakeProvider, url = fake.url): http2.ClientHttp2Session {
  const session = http2.connect(url, { ca: fake.ca });
  session.on('error', () => {});
  return session;
}

export function h2Request(
  session: http2.ClientHttp2Session,
  path: string,
  headers: http2.OutgoingHttpHeaders = {},
  body?: string | Buffer,
): Promise<Reply & { streamId: number | undefined }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': 'POST', ':path': path, ...headers });
    let streamId: number | undefined;
    req.on('ready', () => (streamId = req.id));
    let status = 0;
    let resHeaders: Record<string, string | string[] | undefined> = {};
    req.on('response', (h) => {
      status = Number(h[':status']);
      resHeaders = h as Record<string, string | string[] | undefined>;
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (status === 0) reject(Object.assign(new Error(`stream closed without a response (rstCode ${req.rstCode})`), { code: 'NO_RESPONSE' }));
      else resolve({ status, headers: resHeaders, text, json: parse(text), streamId });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** An undici HTTP/2 client that multiplexes POSTs (pipelining + idempotent). */
export function undiciClient(fake: FakeProvider, options: ConstructorParameters<typeof Client>[1] = {}): Client {
  return new Client(fake.url, { allowH2: true, pipelining: 100, connect: { ca: fake.ca }, ...options });
}

export async function undiciPost(client: Client, path: string, headers: Record<string, string>, body: string): Promise<Reply> {
  const res = await client.request({ method: 'POST', path, headers, body, idempotent: true });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers as Reply['headers'], text, json: parse(text) };
}

export function h1Post(url: string, path: string, headers: Record<string, string>, body: string, agent?: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, url), { method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const fcmBody = (token: string, extra: Record<string, unknown> = {}) => JSON.stringify({ message: { token, notification: { title: 'hi' }, ...extra } });
