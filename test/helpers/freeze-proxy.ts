/**
 * A TCP proxy in front of a server, for connection-failure tests: `freeze()` turns every connection open
 * now into a black hole (nothing is forwarded either way, nothing is closed: the client sees a silent
 * peer, as after a lost network path or a peer reset it never heard of); later connections work normally.
 */
import net, { type AddressInfo, type Socket } from 'node:net';

export interface FreezeProxy {
  /** `https://127.0.0.1:<port>` (the TLS of the target passes through untouched). */
  url: string;
  freeze(): void;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startFreezeProxy(targetPort: number): Promise<FreezeProxy> {
  const pairs: [Socket, Socket][] = [];
  const frozen: Socket[] = [];
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    pairs.push([client, upstream]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    freeze() {
      for (const [client, upstream] of pairs.splice(0)) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
        frozen.push(client, upstream);
      }
    },
    async close() {
      for (const s of frozen) s.destroy();
      for (const [a, b] of pairs) a.destroy(), b.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
