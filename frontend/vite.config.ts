/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built into dist/ and served by Django (crm.builder) at /builder/; `npm run dev` proxies the
// API and the login page to a local CRM (bin/dev) on :8000.
const crm = process.env.CRM_URL ?? 'http://127.0.0.1:8000';

export default defineConfig({
  base: '/builder/',
  plugins: [react()],
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: true, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: {
      '/api': { target: crm, changeOrigin: false },
      '/builder/login': { target: crm },
      '/builder/logout': { target: crm },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
