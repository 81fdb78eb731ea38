import { defineConfig } from '@playwright/test';
import path from 'node:path';

// End-to-end tests against the real CRM (Django) and a real Dagster instance, both started by
// bin/e2e-server in a throwaway folder. Debian's Chromium: no browser download needed.
const port = Number(process.env.E2E_PORT ?? 8765);

export default defineConfig({
  testDir: './e2e',
  timeout: 120_000,
  expect: { timeout: 20_000 },
  workers: 1,
  fullyParallel: false,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1440, height: 900 },
    trace: 'retain-on-failure',
    actionTimeout: 15_000,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: '../bin/e2e-server',
    url: `http://127.0.0.1:${port}/health`,
    reuseExistingServer: process.env.E2E_REUSE === '1',
    timeout: 300_000,
    stdout: 'ignore',
    stderr: process.env.E2E_DEBUG === '1' ? 'pipe' : 'ignore',
    // A fixed folder, wiped at each start: Playwright may stop the server before it cleans up.
    env: { E2E_PORT: String(port), E2E_DIR: path.resolve('.e2e-server') },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
