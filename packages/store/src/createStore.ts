/**
 * The stores are zustand vanilla stores (no React here: the app binds them with `useStore` from 'zustand').
 * Re-exported from one place so every store in this package is created the same way.
 */
export { createStore, type StateCreator, type StoreApi } from 'zustand/vanilla';
