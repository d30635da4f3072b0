// Vite builds the UI into one folder that CMake embeds into the trackly binary (web/CMakeLists.txt).
// `npm run dev` serves it with hot reload and proxies the API to a running trackly
// (TRACKLY_URL, default http://127.0.0.1:4318); docs/ui.md has the details.
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

const trackly = process.env.TRACKLY_URL ?? 'http://127.0.0.1:4318';

export default defineConfig({
  plugins: [react()],
  build: {
    // No inline scripts or styles anywhere: the server's CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    proxy: { '/api': trackly },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
