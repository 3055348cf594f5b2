import { test, expect, Page } from '@playwright/test';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { completeBrief, launch, open, propose, uniqueTitle } from './support/act';
import { FAKE_MIXPANEL_PORT } from './support/ports';
import { exportFor } from './support/exports';

type Seen = { url: string; authorization?: string; acceptEncoding?: string };

/** A stand-in for Mixpanel's export host: gzip, chunked, slow enough to watch the bar move.
 * With several bodies, the n-th request gets the n-th (the last repeats). */
async function fakeMixpanel(bodies: Buffer | Buffer[], seen: Seen[]) {
  const all = Array.isArray(bodies) ? bodies : [bodies];
  const server = http.createServer(async (req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization, acceptEncoding: req.headers['accept-encoding'] });
    const body = all[Math.min(seen.length - 1, all.length - 1)];
    const gzip = String(req.headers['accept-encoding'] ?? '').includes('gzip');
    const wire = gzip ? zlib.gzipSync(body) : body;
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
    const pieces = 20;
    const size = Math.ceil(wire.length / pieces);
    for (let i = 0; i < wire.length; i += size) {
      res.write(wire.subarray(i, i + size));
      await new Promise((r) => setTimeout(r, 150));
    }
    res.end();
  });
  // The port the servers were started with as their deployment's Mixpanel base URL.
  await new Promise<void>((r) => server.listen(FAKE_MIXPANEL_PORT, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Saves the workspace's Mixpanel settings (the deployment sends exports to the fake host). */
async function saveSettings(page: Page) {
  await open(page, '/settings');
  await page.getByLabel('Project id').fill('4242');
  await page.getByLabel('Service account user').fill('verdict.sa');
  await page.getByLabel('Service account secret').fill('e2e-secret');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
}

test('Pull now streams the export with a progress bar, then shows results and the decision', async ({ page }) => {
  const seen: Seen[] = [];
  const title = uniqueTitle('Pulled checkout');
  // Arrange: a running, sequential experiment (safe to look at before its end date).
  const key = await propose(page, title);
  await completeBrief(page);
  await page.getByLabel('Engine').selectOption('sequential');
  await launch(page);

  const { server, base } = await fakeMixpanel(exportFor(key), seen);
  try {
    // Arrange: the workspace's Mixpanel settings point at the fake host.
    await saveSettings(page);
    await expect(page.getByTestId('secret-state')).toHaveText('Secret: set');
    await expect(page.getByLabel('Service account secret')).toHaveValue('');

    // Act
    await open(page, `/experiments/${key}`);
    await page.getByRole('button', { name: 'Pull now' }).click();

    // Assert: the bar and its numbers while the export streams in, then the results.
    await expect(page.getByTestId('pull-progress')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Cancel' })).toBeVisible();
    await expect(page.getByTestId('pull-stats')).toContainText('events');
    await expect(page.getByTestId('pull-outcome')).toContainText('Stored a snapshot: 4000 exposed users');
    await expect(page.getByTestId('pull-progress')).toHaveCount(0);
    await expect(page.getByText(/Latest reading: .*\(Mixpanel export\)/)).toBeVisible();
    await expect(page.getByTestId('srm-banner')).toContainText('Sample ratio OK');
    await expect(page.getByTestId('decision')).toContainText('Computed verdict');

    // The request was Mixpanel's: basic auth, gzip accepted, only the events the brief needs.
    expect(seen).toHaveLength(1);
    expect(seen[0].authorization).toBe(`Basic ${Buffer.from('verdict.sa:e2e-secret').toString('base64')}`);
    expect(seen[0].acceptEncoding).toContain('gzip');
    const url = new URL(seen[0].url, base);
    expect(url.pathname).toBe('/api/2.0/export');
    expect(url.searchParams.get('project_id')).toBe('4242');
    expect(JSON.parse(url.searchParams.get('event') ?? '[]')).toEqual(
      ['$experiment_started', 'purchase_completed', 'refunds', 'support_tickets']);
  } finally {
    server.close();
  }
});

test('A pull whose export ends in "terminated early" fails, says so, and leaves the previous snapshot in place', async ({ page }) => {
  const seen: Seen[] = [];
  const title = uniqueTitle('Truncated export');
  const key = await propose(page, title);
  await completeBrief(page);
  await page.getByLabel('Engine').selectOption('sequential');
  await launch(page);
  const good = exportFor(key);
  // Mixpanel's note that it cut the export short, as the body's last line.
  const cut = Buffer.concat([good.subarray(0, Math.floor(good.length / 2)), Buffer.from('\nterminated early\n')]);
  const { server } = await fakeMixpanel([good, cut], seen);
  try {
    await saveSettings(page);

    // A first, complete pull.
    await open(page, `/experiments/${key}`);
    await page.getByRole('button', { name: 'Pull now' }).click();
    await expect(page.getByTestId('pull-outcome')).toContainText('Stored a snapshot: 4000 exposed users');
    const reading = await page.getByText(/Latest reading: .*\(Mixpanel export\)/).textContent();

    // Act: the second export is cut short.
    await page.getByRole('button', { name: 'Pull now' }).click();

    // Assert: the failure in words, and the first snapshot still the latest after a reload.
    const outcome = page.getByTestId('pull-outcome');
    await expect(outcome).toContainText('terminated early');
    await expect(outcome).toContainText('the data reached');
    await expect(outcome).toContainText('The previous results stay');
    expect(seen).toHaveLength(2);
    await page.reload();
    await expect(page.getByText(/Latest reading: .*\(Mixpanel export\)/)).toHaveText(reading ?? '');
    await expect(page.getByTestId('incomplete-windows')).toContainText('have incomplete windows');
    await expect(page.getByTestId('reconcile')).toContainText("Mixpanel's Experiments report");
  } finally {
    server.close();
  }
});

/**
 * An export where spending before exposure predicts spending after (so CUPED has something to
 * use), with one whale the p99 cap tames, and each user's platform on the exposure event.
 */
function revenueExportFor(key: string): Buffer {
  const dayStart = Math.floor(Date.now() / 86_400_000) * 86_400;
  const lines: string[] = [];
  const event = (name: string, user: string, time: number, extra: object = {}) =>
    lines.push(JSON.stringify({ event: name, properties: { time, distinct_id: user, $insert_id: `${name}-${user}-${time}`, ...extra } }));
  for (const arm of ['control', 'treatment']) {
    for (let i = 0; i < 1500; i++) {
      const user = `${arm}-${i}`;
      const t = dayStart + (i % 3600);
      const habit = ((i * 7) % 20) + 1;
      event('$experiment_started', user, t, { 'Experiment name': key, 'Variant name': arm, $os: i % 2 ? 'iOS' : 'Android' });
      // Three days before exposure: the pre-period CUPED reads.
      event('purchase_completed', user, dayStart - 3 * 86_400 + i, { amount: habit });
      const after = habit + (i % 3) + (arm === 'treatment' ? 2 : 0);
      event('purchase_completed', user, t + 60, { amount: i === 7 && arm === 'control' ? 100_000 : after });
      if (i % 100 === 0) event('refunds', user, t + 120);
      if (i % 200 === 0) event('support_tickets', user, t + 180);
    }
  }
  return Buffer.from(lines.join('\n') + '\n');
}

test('A capped revenue metric with CUPED and an $os segment: the pull shows the variance reduction, the pre-period check and the exploratory segments', async ({ page }) => {
  const seen: Seen[] = [];
  const key = await propose(page, uniqueTitle('Revenue with CUPED'));
  await completeBrief(page);
  // The primary metric becomes revenue per user, capped at the 99th percentile.
  const primary = page.locator('fieldset', { hasText: 'Primary metric' });
  await primary.getByLabel('Name').fill('revenue');
  await primary.getByLabel('Kind').selectOption('mean');
  await primary.getByLabel('Value property').fill('amount');
  await primary.getByLabel('Cap (winsorize)').fill('p99');
  await page.getByLabel('Baseline mean').fill('12');
  await page.getByLabel('Standard deviation').fill('8');
  // CUPED is on for a new brief; the calculator shows what an expected correlation saves.
  await expect(page.locator('input[name="cuped.enabled"]')).toBeChecked();
  await page.getByLabel('Expected correlation (rho)').fill('0.5');
  await expect(page.getByTestId('cuped-saving')).toContainText('CUPED at an expected correlation of 0.5');
  await page.getByLabel('Segment properties (up to 3, comma-separated)').fill('$os');
  await page.getByLabel('Engine').selectOption('sequential');
  await launch(page);
  await expect(page.getByTestId('brief-cuped')).toHaveText('on, 14-day pre-period');

  const { server } = await fakeMixpanel(revenueExportFor(key), seen);
  try {
    await saveSettings(page);
    await open(page, `/experiments/${key}`);
    await page.getByRole('button', { name: 'Pull now' }).click();
    await expect(page.getByTestId('pull-outcome')).toContainText('Stored a snapshot: 3000 exposed users');

    // The export reached back 14 days before launch for the pre-period.
    const from = new URL(seen[0].url, 'http://x').searchParams.get('from_date')!;
    const launchDay = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
    expect(from).toBe(new Date(launchDay.getTime() - 14 * 86_400_000).toISOString().slice(0, 10));

    await expect(page.getByTestId('cuped-gain')).toContainText(/CUPED narrowed the interval by \d+%/);
    await expect(page.getByTestId('pre-period-banner')).toContainText('Pre-period check OK');
    await page.getByTestId('pre-period').locator('summary').click();
    await expect(page.getByTestId('pre-period')).toContainText('revenue (primary)');
    const segments = page.getByTestId('segments');
    await expect(segments).toContainText('exploratory');
    await expect(segments).toContainText('the decision never uses segments');
    await expect(segments.locator('table[data-property="$os"]')).toContainText('iOS');
    await expect(segments.locator('table[data-property="$os"]')).toContainText('Android');
    await expect(page.getByTestId('decision')).toContainText('No pre-existing imbalance on the primary metric');
  } finally {
    server.close();
  }
});

test('The new vs returning segment: the pull reads every event from 28 more days back and splits users by earlier activity', async ({ page }) => {
  const seen: Seen[] = [];
  const key = await propose(page, uniqueTitle('New vs returning'));
  await completeBrief(page);
  await page.getByLabel('Segment properties (up to 3, comma-separated)').fill('#new_vs_returning');
  await page.getByLabel('Engine').selectOption('sequential');
  await launch(page);

  // Every fourth user visited 30 days before exposure (before the 14-day pre-period).
  const dayStart = Math.floor(Date.now() / 86_400_000) * 86_400;
  const lines = exportFor(key).toString().trimEnd().split('\n');
  for (const arm of ['control', 'treatment']) {
    for (let i = 0; i < 2000; i += 4) {
      lines.push(JSON.stringify({ event: 'page_view', properties: { time: dayStart - 30 * 86_400, distinct_id: `${arm}-${i}`, $insert_id: `pv-${arm}-${i}` } }));
    }
  }
  const { server } = await fakeMixpanel(Buffer.from(lines.join('\n') + '\n'), seen);
  try {
    await saveSettings(page);
    await open(page, `/experiments/${key}`);
    await page.getByRole('button', { name: 'Pull now' }).click();
    await expect(page.getByTestId('pull-outcome')).toContainText('Stored a snapshot: 4000 exposed users');

    // Every event (no event filter), from the pre-period plus 28 days before launch.
    const url = new URL(seen[0].url, 'http://x');
    expect(url.searchParams.get('event')).toBeNull();
    const launchDay = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
    expect(url.searchParams.get('from_date')).toBe(new Date(launchDay.getTime() - 42 * 86_400_000).toISOString().slice(0, 10));

    const table = page.getByTestId('segments').locator('table[data-property="#new_vs_returning"]');
    await expect(table.locator('caption')).toHaveText('New vs returning (any event before the pre-period)');
    // 500 returning and 1,500 new users per arm.
    await expect(table.locator('tr', { hasText: 'returning' })).toContainText('1,000');
    await expect(table.locator('tr', { hasText: /^new/ })).toContainText('3,000');
  } finally {
    server.close();
  }
});
