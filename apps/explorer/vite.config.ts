import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { defineConfig } from 'vite';
import type { EmbedView } from './src/embed/protocol.ts';
import { EMBED_VIEWS, isEmbedView } from './src/embed/protocol.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
const page = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// ---------------------------------------------------------------------------------------------------------------
// The iframe route (docs/embedding.md): one page per widget, /embed/<view> and /embed/<view>.html. The pages differ
// only in their title and data-view, so they are written here from one template instead of kept as five files:
// the build gets them as virtual entries (embed/<view>.html in dist/, which static hosts also serve without .html)
// and the dev server answers both addresses itself. The list of views is the one the embed script checks against.

const embedViews = Object.keys(EMBED_VIEWS) as EmbedView[];

function embedHtml(view: EmbedView): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <link rel="icon" href="data:," />
    <title>Glassbox: ${view} (embedded)</title>
    <style>
      html,
      body {
        margin: 0;
        padding: 0;
        background: #fff;
      }
      /* flow-root keeps the widget's margins inside, so the height posted to the parent is the whole widget. */
      #embed {
        display: flow-root;
        padding: 0 2px;
      }
    </style>
  </head>
  <body data-view="${view}">
    <main id="embed"></main>
    <script type="module" src="/src/embed/main.ts"></script>
  </body>
</html>
`;
}

/** The build entries of the embed pages: <root>/embed/<view>.html, files that exist only inside this plugin. */
const EMBED_ENTRIES = embedViews.map((v) => page(`embed/${v}.html`));

/** The view of an embed entry's id (an absolute path) or of a dev request's path, or null. */
function embedViewOf(path: string, prefix: string): EmbedView | null {
  const m = path.startsWith(prefix) ? /^([a-z-]+?)(\.html)?$/.exec(path.slice(prefix.length)) : null;
  return m && isEmbedView(m[1]) ? m[1] : null;
}

function embedPages(): Plugin {
  const entryPrefix = page('embed/');
  return {
    name: 'glassbox:embed-pages',
    // Claiming the ids stops Vite from looking for the files on disk; Vite's HTML plugin then builds what `load`
    // returns exactly as it would a real page (script bundled, asset URLs made relative to base).
    resolveId(id) {
      return id.endsWith('.html') && embedViewOf(id, entryPrefix) ? id : null;
    },
    load(id) {
      const view = id.endsWith('.html') ? embedViewOf(id, entryPrefix) : null;
      return view ? embedHtml(view) : null;
    },
    configureServer(server) {
      // Added before Vite's own middlewares: its HTML fallback would look for embed/<view>.html on disk.
      server.middlewares.use(async (req, res, next) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const view = req.method === 'GET' || req.method === 'HEAD' ? embedViewOf(path, '/embed/') : null;
        if (!view) return next();
        try {
          const html = await server.transformIndexHtml(path, embedHtml(view), req.originalUrl);
          res.setHeader('Content-Type', 'text/html; charset=utf-8');
          res.end(html);
        } catch (e) {
          next(e);
        }
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------

// The workspace packages are consumed as TypeScript source (their `exports` point at src/index.ts).
export default defineConfig({
  root,
  base: './',
  plugins: [react(), embedPages()],
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
      input: [page('index.html'), ...EMBED_ENTRIES],
    },
  },
});
