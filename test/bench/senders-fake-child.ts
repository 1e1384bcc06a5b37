/**
 * The fake provider for test/bench/senders.bench.ts, in its own process so the server's CPU is not
 * counted against the client under test (the machine has 2 cores: one for each side).
 */
import { startFakeProvider } from '../../src/testing/index.js';

const fake = await startFakeProvider({ log: false, countTokens: false });
process.send!({ url: fake.url, ca: fake.ca, key: fake.apnsKey });
process.on('message', (m) => {
  if (m === 'stats') process.send!({ stats: fake.stats() });
});
process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
