/** The fake provider server from `pushback/testing`, with firebase-admin's HTTP/2 traffic redirected to it. */
import { redirectHttp2 } from '../../src/testing/http2-redirect.js';
import { startFakeProvider, type FakeProvider, type FakeProviderOptions } from '../../src/testing/index.js';

export const BAD_PAYLOAD_BODY = {
  error: {
    code: 400,
    message: "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
    status: 'INVALID_ARGUMENT',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.BadRequest',
        fieldViolations: [{ field: 'message.data[0].value', description: "Invalid value at 'message.data[0].value' (TYPE_STRING), 12" }],
      },
    ],
  },
};

export interface FakeFcm {
  fake: FakeProvider;
  /** HTTP/2 sessions firebase-admin opened (one per `sendEach` call). */
  sessions(): number;
  close(): Promise<void>;
}

export async function startFakeFcm(options: FakeProviderOptions = {}): Promise<FakeFcm> {
  const fake = await startFakeProvider(options);
  const redirect = redirectHttp2({ target: fake.url, connectOptions: { ca: fake.ca } });
  return {
    fake,
    sessions: () => redirect.sessions,
    async close() {
      redirect.restore();
      await fake.close();
    },
  };
}
