import { catalog } from '../catalog/catalog.js';
import type { ProviderId, RateWindow } from '../types.js';
import { Admission } from './admission.js';
import { MemoryDeviceCounterStore } from './device-store.js';
import { Semaphore } from './semaphore.js';
import type { DeviceCounterStore, LimitOptions } from './types.js';

/** The limits of one sender: in-flight concurrency, project and topic admission, per-device counters. */
export interface Limits {
  concurrency: Semaphore;
  project: Admission;
  topic: Admission;
  deviceWindows: readonly RateWindow[];
  deviceStore: DeviceCounterStore;
  close(): Promise<void>;
}

export const DEFAULT_CONCURRENCY = 100;
export const DEFAULT_ARRIVAL_JITTER_MS = 100;

/** Caller windows over the provider's published quotas (`defaults.limits` in `policies/<provider>.json`). */
export function createLimits(provider: ProviderId, options: LimitOptions | false | undefined): Limits {
  const o: LimitOptions = options === false ? {} : options ?? {};
  const published = options === false ? {} : catalog().policies.get(provider)?.defaults?.limits ?? {};
  const jitter = o.arrivalJitterMs ?? DEFAULT_ARRIVAL_JITTER_MS;
  if (!(jitter >= 0) || !Number.isFinite(jitter)) throw new RangeError(`arrivalJitterMs must be a finite number >= 0, got ${jitter}`);
  const windows = (own: RateWindow[] | undefined, def: RateWindow[] | undefined): RateWindow[] =>
    (own ?? def ?? []).map((w) => {
      if (!(w.count >= 1) || !(w.perMs >= 1)) throw new RangeError(`limit windows need count >= 1 and perMs >= 1, got ${JSON.stringify(w)}`);
      return { count: w.count, perMs: w.perMs + jitter };
    });
  const bottleneck = o.bottleneck ?? {};
  const project = new Admission(`${provider}-project`, options === false ? [] : windows(o.project, published.project), bottleneck);
  const topic = new Admission(`${provider}-topic`, options === false ? [] : windows(o.topic, published.topic), bottleneck);
  const deviceWindows = options === false ? [] : windows(o.device, published.device);
  const deviceStore = o.deviceStore ?? new MemoryDeviceCounterStore();
  const concurrency = new Semaphore(options === false ? Infinity : o.concurrency ?? DEFAULT_CONCURRENCY);
  return {
    concurrency,
    project,
    topic,
    deviceWindows,
    deviceStore,
    async close() {
      await project.close();
      await topic.close();
      if (!o.deviceStore) await deviceStore.close?.();
    },
  };
}
