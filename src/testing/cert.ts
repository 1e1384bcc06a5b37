import { generate } from 'selfsigned';

/** A TLS identity for the fake server: `cert` is also the CA a client must trust. */
export interface TestCertificate {
  key: string;
  cert: string;
}

let cached: Promise<TestCertificate> | undefined;

/**
 * A self-signed EC certificate for `localhost`, `127.0.0.1` and `::1`, valid 2 days, generated once per process
 * (~35 ms) and shared by every fake server started in it.
 */
export function testCertificate(): Promise<TestCertificate> {
  cached ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    notAfterDate: new Date(Date.now() + 2 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  }).then((pems) => ({ key: pems.private, cert: pems.cert }));
  return cached;
}
