import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const page = (path: string) => fileURLToPath(new URL(path, import.meta.url));
/** The iframe route: embed/<view>.html, served as /embed/<view> (docs/embedding.md). */
const EMBED_VIEWS = ['attention', 'tokenizer', 'next-token', 'stepper', 'training'];

// The workspace packages are consumed as TypeScript source (their `exports` point at src/index.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  // onnxruntime-web (the explorer's "Check against ONNX Runtime") finds its .wasm next to its own module through
  // new URL('…wasm', import.meta.url): pre-bundling it for the dev server would move the module away from the file.
  // In the build, Vite emits that .wasm as an asset and rewrites the URL, so the check works offline.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      input: [page('index.html'), ...EMBED_VIEWS.map((v) => page(`embed/${v}.html`))],
    },
  },
});
