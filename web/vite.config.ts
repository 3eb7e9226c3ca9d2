import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/*
 * Development: Vite serves the app on :5173 and proxies what belongs to the router (GraphQL, including
 * WebSocket upgrades for subscriptions once the router has them; the session endpoint; signed file downloads)
 * to ROUTER_URL, so the app, its cookies and its downloads are same-origin, as in production.
 */
const router = process.env.ROUTER_URL ?? 'http://localhost:4000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  server: {
    port: Number(process.env.WEB_PORT ?? 5173),
    strictPort: true,
    proxy: {
      '/graphql': { target: router, ws: true },
      '/session': { target: router },
      '/files': { target: router },
    },
  },
  preview: { port: Number(process.env.WEB_PORT ?? 5173) },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
});
