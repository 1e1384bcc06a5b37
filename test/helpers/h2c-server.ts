/** A minimal local HTTP/2 cleartext server for transport tests: every request is answered by `handler`. */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface H2Request {
  path: string;
  headers: http2.IncomingHttpHeaders;
  body: unknown;
  at: number;
}

export type H2Reply = { status: number; headers?: Record<string, string>; body?: unknown } | 'reset' | 'goaway';

export async function startH2c(handler: (req: H2Request, index: number) => H2Reply | Promise<H2Reply>) {
  const requests: H2Request[] = [];
  const server = http2.createServer();
  server.on('session', (session) => session.on('error', () => {}));
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* keep text */
      }
      const req: H2Request = { path: String(headers[':path']), headers, body, at: Date.now() };
      requests.push(req);
      const reply = await handler(req, requests.length - 1);
      if (reply === 'reset') return stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      if (reply === 'goaway') return stream.session?.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      if (stream.destroyed) return;
      stream.respond({ ':status': reply.status, 'content-type': 'application/json', ...reply.headers });
      stream.end(reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
