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
