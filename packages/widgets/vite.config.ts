import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * One ES module for course pages: dist/glassbox-widgets.js. Not library mode on purpose: library mode inlines every
 * asset as a data: URL, and the model files should be fetched (and cached) separately. As an ordinary build with a
 * JS entry and base './', the `new URL('../toy-world/model.safetensors', import.meta.url)` of @glassbox/models becomes
 * `new URL('assets/model-….safetensors', import.meta.url)`: resolved against the script's own URL, wherever it is
 * hosted. Styles are imported `?inline` (strings for the shadow roots), so no CSS file is emitted or injected.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  publicDir: false,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Model files stay files, however small (the toy model's weights are under Vite's 4 kB default).
    assetsInlineLimit: 0,
    modulePreload: false,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      input: { 'glassbox-widgets': fileURLToPath(new URL('src/index.ts', import.meta.url)) },
      // compute's ONNX comparison is never used by a widget; left in, the build would copy onnxruntime's 28 MB .wasm.
      external: ['onnxruntime-web'],
      // Keep the entry's exports (defineGlassboxWidgets, …): an app build would drop them.
      preserveEntrySignatures: 'strict',
      output: {
        entryFileNames: '[name].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
});
