/**
 * Credential refresh with generations: concurrent failures that saw the same credential generation
 * share one refresh (the node-apn pattern, `lib/credentials/token/prepare.js`); a failure from an
 * older generation does not refresh again.
 */
export class CredentialRefresher {
  private gen = 0;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly refresh: (() => Promise<void>) | undefined) {}

  get generation(): number {
    return this.gen;
  }

  /** Refreshes unless a refresh already happened since generation `seen`; resolves when the credential is fresh. */
  async refreshFrom(seen: number): Promise<void> {
    if (!this.refresh) return;
    if (seen < this.gen) return;
    if (!this.inFlight) {
      this.inFlight = (async () => {
        try {
          await this.refresh!();
          this.gen++;
        } finally {
          this.inFlight = undefined;
        }
      })();
    }
    return this.inFlight;
  }
}
