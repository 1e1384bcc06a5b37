import type { ClassifyInput, Verdict } from '../types.js';

/**
 * The classifier used when `SenderOptions.classify` is not given: `classify` from `src/classify/`.
 * Loaded at module start; until the classifier module exists (parallel branch) it is `undefined`
 * and `createSender` requires the `classify` option.
 * TODO(engine): switch to a static import once `src/classify/index.ts` is merged.
 */
const specifier: string = '../classify/index.js';
let loaded: ((input: ClassifyInput) => Verdict) | undefined;
try {
  loaded = ((await import(specifier)) as { classify?: (input: ClassifyInput) => Verdict }).classify;
} catch {
  loaded = undefined;
}

export const defaultClassify: ((input: ClassifyInput) => Verdict) | undefined = loaded;
