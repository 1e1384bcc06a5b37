import { classify } from '../classify/index.js';
import type { ClassifyInput, Verdict } from '../types.js';

/** The classifier used when `SenderOptions.classify` is not given. */
export const defaultClassify: (input: ClassifyInput) => Verdict = (input) => classify(input);
