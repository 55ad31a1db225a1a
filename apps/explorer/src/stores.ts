import { browserHubEnvironment, createExplorerStores, defaultCatalog } from '@glassbox/store';

/**
 * The app's one set of stores: the shipped models first, the untrained model last; Hugging Face downloads go
 * through the page's fetch and are kept in Cache Storage.
 */
export const stores = createExplorerStores({ catalog: defaultCatalog(), hub: browserHubEnvironment() });
export const { session, stepper, selection, sampling } = stores;

/**
 * Read a slice of a store in a component; it re-renders only when that slice changes (Object.is), so a selector
 * must return a primitive or an object the store already holds, never a new one.
 */
export { useStore } from 'zustand';

/** When the last step navigation started, so the step view can report how long it took to draw. */
export const navTiming = { start: 0 };
