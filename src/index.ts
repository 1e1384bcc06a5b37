/** pushback: the catalog, the classifier and the send engine. Adapters live on subpaths. */
export * from './types.js';
export type * from './engine/types.js';
export { OUTCOME_OF } from './engine/types.js';
export { catalog, loadCatalog, POLICIES_DIR, type Catalog, type ProviderPolicy } from './catalog/catalog.js';
export { redactText, redactToken } from './redact.js';
export {
  createSender,
  decide,
  retryFloorMs,
  backoffDelay,
  backoffCeiling,
  seededRandom,
  resolveRetryOptions,
  RETRY_DEFAULTS,
  defaultDeadline,
  defaultCollapsible,
  MemoryDeviceCounterStore,
  MemoryValveStore,
  SendError,
  PruneHookError,
} from './engine/index.js';
export * from './classify/index.js';
