/**
 * Wraps a provider sender (APNs, FCM) in the engine: one object that retries, limits, prunes and closes
 * both the engine and the connections.
 */
import { createSender } from '../engine/sender.js';
import { defaultToClassifyInput } from '../engine/to-classify-input.js';
import type { Sender, SenderOptions } from '../engine/types.js';
import type { ProviderId, SendContext, Target } from '../types.js';
import { isTransportError } from './transport-error.js';

/** Engine options a provider sender fills in itself. */
export type EngineOptions<M> = Omit<SenderOptions<M>, 'provider' | 'target' | 'refreshCredential'>;

export interface ProviderSender<M> {
  send(message: M, ctx?: Partial<SendContext>): Promise<unknown>;
  target(message: M): Target;
  refreshCredential(): Promise<void>;
  close(): Promise<void>;
}

export type EngineWrapped<M, P> = Sender<M> & {
  /** The provider sender underneath (one attempt per call, raw responses). */
  readonly provider: P;
};

export function withEngine<M, P extends ProviderSender<M>>(provider: ProviderId, sender: P, options: EngineOptions<M> = {}): EngineWrapped<M, P> {
  const engine = createSender<M>((m, ctx) => sender.send(m, ctx), {
    ...options,
    provider,
    target: (m) => sender.target(m),
    refreshCredential: () => sender.refreshCredential(),
    // A TransportError knows whether the request was written: hand that to the classifier.
    toClassifyInput:
      options.toClassifyInput ??
      ((r) => {
        const input = defaultToClassifyInput(provider, r);
        if ('error' in input && isTransportError(r.error)) input.requestSent = r.error.requestSent;
        return input;
      }),
  });
  return {
    provider: sender,
    send: (m, o) => engine.send(m, o),
    sendMany: (ms, o) => engine.sendMany(ms, o),
    attempt: (m, s, o) => engine.attempt(m, s, o),
    reset: (c) => engine.reset(c),
    releaseQuarantine: (k, o) => engine.releaseQuarantine(k, o),
    flush: () => engine.flush(),
    close: async () => {
      try {
        await engine.close();
      } finally {
        await sender.close();
      }
    },
  };
}
