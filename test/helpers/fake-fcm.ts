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

/** FCM's answer to a token that is not a valid registration token (FcmError only, no field violation). */
export const BAD_TOKEN_BODY = {
  error: {
    code: 400,
    message: 'The registration token is not a valid FCM registration token',
    status: 'INVALID_ARGUMENT',
    details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'INVALID_ARGUMENT' }],
  },
};

export interface FakeFcm {
  fake: FakeProvider;
  /** HTTP/2 sessions firebase-admin opened (one per `sendEach` call). */
  sessions(): number;
  /** The redirect to the fake server (restore it to point firebase-admin elsewhere, then reinstall). */
  redirect: { restore(): void; reinstall(): void };
  close(): Promise<void>;
}

export async function startFakeFcm(options: FakeProviderOptions = {}): Promise<FakeFcm> {
  const fake = await startFakeProvider(options);
  const install = () => redirectHttp2({ target: fake.url, connectOptions: { ca: fake.ca } });
  let redirect = install();
  let earlier = 0;
  return {
    fake,
    sessions: () => earlier + redirect.sessions,
    redirect: {
      restore: () => {
        earlier += redirect.sessions;
        redirect.restore();
      },
      reinstall: () => {
        redirect = install();
      },
    },
    async close() {
      redirect.restore();
      await fake.close();
    },
  };
}
