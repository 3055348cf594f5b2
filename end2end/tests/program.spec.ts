import { test, expect, APIRequestContext } from '@playwright/test';
import { completeBrief, open, propose, uniqueTitle } from './support/act';
import { DEMO } from './support/accounts';

// The demo program lives on the second server (3101). The board test loads it there from an
// empty database; when this file runs alone, it is loaded here instead (a loaded program refuses
// a second load with 409, which is fine).

async function ensureDemo(request: APIRequestContext) {
  const response = await request.post(`${DEMO}/api/load_demo`, {
    data: {},
    // A script's POST carries no browser origin headers: say where it comes from, as the
    // app's own pages do, or the CSRF check refuses it.
    headers: { Origin: DEMO },
  });
  expect([200, 409]).toContain(response.status());
}

test('the dashboard renders with demo data, numbers linked to their experiments', async ({ page, request }, info) => {
  await ensureDemo(request);
  await open(page, `${DEMO}/program`);
  await expect(page.getByRole('heading', { name: 'Program' })).toBeVisible();
  await expect(page.getByTestId('win-rate')).toHaveText(/^\d+%$/);
  await expect(page.getByTestId('reading')).toContainText('band');
  await expect(page.locator('svg.win-chart')).toBeVisible();
  await expect(page.locator('svg.weekly-chart')).toBeVisible();
  await page.screenshot({ path: info.outputPath('program-dashboard.png'), fullPage: true });

  // The headline number opens the list of the experiments behind it.
  await page.getByTestId('win-rate').getByRole('link').click();
  await expect(page).toHaveURL(/\/program\/list\?cohort=shipped/);
  await expect(page.getByRole('heading', { name: 'Concluded with a ship verdict' })).toBeVisible();
  await expect(page.locator('table.cohort tbody tr').first()).toBeVisible();
});

test('a filter changes the numbers and the URL', async ({ page, request }) => {
  await ensureDemo(request);
  await open(page, `${DEMO}/program`);
  const overall = await page.getByTestId('win-rate').textContent();
  await page.getByLabel('Team').selectOption('Pricing');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/team=Pricing/);
  await expect(page.getByTestId('win-rate')).not.toHaveText(overall!);
  // The same URL opened fresh, before any script, shows the same number.
  const filtered = await page.getByTestId('win-rate').textContent();
  const fresh = await page.context().newPage();
  await fresh.goto(page.url());
  await expect(fresh.getByTestId('win-rate')).toHaveText(filtered!);
});

test('the review page triages proposals: promote through the gate, reject with a reason', async ({ page }, info) => {
  // A proposal with a complete brief, and a rough one.
  const ready = await propose(page, uniqueTitle('Review promote'), 'Review', 'review_surface');
  await completeBrief(page);
  await page.getByRole('button', { name: 'Save brief' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  const rough = await propose(page, uniqueTitle('Review reject'), 'Review', 'review_surface');

  await open(page, '/review');
  const triage = page.locator('#triage');
  await expect(triage.locator(`li[data-key="${ready}"]`)).toContainText('brief 100% complete');
  await triage.locator(`li[data-key="${ready}"]`).getByRole('button', { name: 'Promote to ready' }).click();
  await expect(page.getByRole('status').filter({ hasText: `${ready}: promoted to ready` })).toBeVisible();
  await expect(triage.locator(`li[data-key="${ready}"]`)).toHaveCount(0);

  // Rejecting without a reason is refused next to the proposal; with one it leaves the queue.
  const item = triage.locator(`li[data-key="${rough}"]`);
  await item.getByRole('button', { name: 'Reject' }).click();
  await expect(item.locator('.problems')).toContainText('a rejection needs a reason');
  await item.getByLabel(`Reason for ${rough}`).fill('duplicate of last quarter');
  await item.getByRole('button', { name: 'Reject' }).click();
  await expect(triage.locator(`li[data-key="${rough}"]`)).toHaveCount(0);
  await expect(page.locator('.triaged')).toContainText('duplicate of last quarter');

  // The promoted one is ready on its own page: the triage used the real lifecycle.
  await open(page, `/experiments/${ready}`);
  await expect(page.getByTestId('status')).toHaveText('Ready');

  // The meeting record, then the Markdown export holds the week's items.
  await open(page, '/review');
  await page.getByLabel('Attendees').fill('Ana, Luis');
  await page.getByLabel('Notes').fill('Promoted one, rejected one.');
  await page.getByRole('button', { name: 'Save the review' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  const href = await page.getByTestId('markdown-export').getAttribute('href');
  const md = await (await page.request.get(href!)).text();
  expect(md).toContain('# Weekly experiment review');
  expect(md).toContain('**Attendees:** Ana, Luis');
  expect(md).toContain(`- Promoted to ready \`${ready}\``);
  expect(md).toContain(`- Rejected \`${rough}\``);
  expect(md).toContain('## Proposed, to triage (');
});

test('the review page of the demo program reads before hydration and prints', async ({ page, request }, info) => {
  await ensureDemo(request);
  await page.goto(`${DEMO}/review`);
  await expect(page.getByRole('heading', { name: /Weekly review \d{4}-W\d{2}/ })).toBeVisible();
  await expect(page.getByRole('heading', { name: /^Overdue \(\d+\)/ })).toBeVisible();
  await expect(page.locator('table.review-table').first()).toBeVisible();
  await page.screenshot({ path: info.outputPath('review.png'), fullPage: true });
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('.triage').first()).toBeHidden();
  await page.screenshot({ path: info.outputPath('review-print.png'), fullPage: true });
});

test('search finds an experiment by a word in its summary, and by one in its lessons', async ({ page, request }) => {
  await ensureDemo(request);
  await open(page, `${DEMO}/learnings`);
  await page.getByRole('searchbox', { name: 'Search' }).fill('redirect');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=redirect/);
  const hit = page.locator('li[data-key="enterprise_contact_form_shortening"]');
  await expect(hit).toBeVisible();
  await expect(hit.locator('mark').first()).toHaveText(/redirect/i);
  await expect(page.locator('li.learning')).toHaveCount(1);

  await open(page, `${DEMO}/learnings?q=reassurance&team=Pricing`);
  await expect(page.locator('li[data-key="price_ending_99_vs_00"]')).toBeVisible();
});

test('proposing shows similar finished experiments beside the form', async ({ page, request }) => {
  await ensureDemo(request);
  await open(page, `${DEMO}/experiments/new`);
  await expect(page.getByRole('heading', { name: 'Similar past experiments' })).toHaveCount(0);
  await page.getByLabel('Surface').fill('checkout');
  const similar = page.getByRole('complementary', { name: 'Similar past experiments' });
  await expect(similar.getByRole('heading', { name: 'Similar past experiments' })).toBeVisible();
  await expect(similar.getByRole('link').first()).toBeVisible();
  await page.getByLabel('Surface').fill('nowhere-at-all');
  await page.getByLabel('Title').fill('zzqx qqvw');
  await expect(similar.getByRole('heading')).toHaveCount(0);
});

test('the list view sorts by lift from a header click, filters by status, and its CSV has those rows', async ({ page, request }) => {
  await ensureDemo(request);
  await open(page, `${DEMO}/experiments?status=done`);
  const table = page.getByTestId('experiment-list');
  await expect(table.locator('tbody tr').first()).toBeVisible();
  await table.getByRole('link', { name: 'Lift (primary)' }).click();
  await expect(page).toHaveURL(/sort=lift/);
  await expect(page).toHaveURL(/status=done/);
  const lifts = async () => (await table.locator('td[data-lift]').evaluateAll(
    (cells) => cells.map((c) => c.getAttribute('data-lift')).filter((v) => v).map(Number)));
  await expect.poll(async () => (await lifts()).length).toBeGreaterThan(2);
  const descending = await lifts();
  expect(descending).toEqual([...descending].sort((a, b) => b - a));
  // Every row is done.
  const statuses = await table.locator('tbody tr td:nth-child(2)').allTextContents();
  expect(new Set(statuses)).toEqual(new Set(['Done']));

  // The CSV link carries the same parameters and holds the same rows, in the same order.
  const href = await page.getByTestId('list-csv').getAttribute('href');
  expect(href).toContain('status=done');
  expect(href).toContain('sort=lift');
  const csv = await (await request.get(`${DEMO}${href}`)).text();
  const keys = parseCsv(csv).slice(1).map((row) => row[0]);
  const shown = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
  expect(keys).toEqual(shown);
});

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; }
    else if (c !== '\r') field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}
