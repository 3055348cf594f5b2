import { defineConfig } from '@playwright/test';
import { FAKE_MIXPANEL_PORT } from './tests/support/ports';

// Two servers from the same build, each on its own throwaway SQLite file under end2end/.data
// (scripts/test.sh empties it first): one shared by most tests, one kept empty for the
// first-run (empty board, load demo) test.
const server = (port: number, db: string) => ({
  command: `target/debug/verdict serve`,
  cwd: '..',
  url: `http://127.0.0.1:${port}/healthz`,
  reuseExistingServer: false,
  timeout: 60_000,
  env: {
    DATABASE_URL: `sqlite:end2end/.data/${db}.db`,
    LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    LEPTOS_SITE_ROOT: 'target/site',
    RUST_LOG: 'warn',
    // The deployment's Mixpanel override: the pull test's fake export host (local addresses
    // are refused unless the deployment allows them).
    VERDICT_MIXPANEL_BASE_URL: `http://127.0.0.1:${FAKE_MIXPANEL_PORT}`,
    VERDICT_MIXPANEL_ALLOW_LOCAL: '1',
  },
});

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: 'http://127.0.0.1:3100',
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: [server(3100, 'main'), server(3101, 'empty')],
  projects: [
    { name: 'setup', testMatch: /auth\.setup\.ts/ },
    {
      name: 'signed-in',
      testMatch: /.*\.spec\.ts/,
      dependencies: ['setup'],
      use: { storageState: '.auth/admin.json' },
    },
  ],
});
