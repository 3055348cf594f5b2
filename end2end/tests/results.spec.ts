import { test, expect } from '@playwright/test';
import { completeBrief, launch, launchWithReading, propose, typeIn, TYPICAL_READING, uniqueTitle } from './support/act';

test('the calculator recomputes in the browser without asking the server', async ({ page }) => {
  await propose(page, uniqueTitle('Calculator'));
  await completeBrief(page);
  const calls: string[] = [];
  page.on('request', (r) => { if (r.url().includes('/api/')) calls.push(r.url()); });
  const mde = page.getByLabel('Minimum detectable effect');
  for (const [typed, expected] of [['10', '14,751'], ['5', '57,763'], ['2', '356,335']]) {
    await mde.fill(typed);
    await expect(page.getByTestId('n-per-arm')).toHaveText(expected);
  }
  // A planned run shorter than needed says what power it really gives.
  await expect(page.getByTestId('power-warning')).toContainText('power instead of 80%');
  expect(calls).toEqual([]);
});

test('typed-in results show interval plots, sentences and an SRM banner for a mismatched split', async ({ page }) => {
  // Sequential: safe to look before the end date, so the primary result is shown.
  await launchWithReading(page, uniqueTitle('Results'), TYPICAL_READING);

  await expect(page.getByTestId('srm-banner')).toContainText('Sample ratio OK');
  await expect(page.getByTestId('interval-plot').first()).toBeVisible();
  await expect(page.getByTestId('sentence').first()).toContainText('treatment converts 10.0% more often than control on purchase (better)');
  await expect(page.getByTestId('decision')).toContainText('Computed verdict');

  // A second reading with a broken split: the banner turns into a mismatch warning.
  await page.getByText('Type in results by hand').click();
  await expect(page.getByLabel('purchase conversions in treatment', { exact: true })).toHaveValue('1100');
  await page.getByLabel('users in treatment', { exact: true }).fill('9000');
  await page.getByRole('button', { name: 'Record results' }).click();
  await expect(page.getByTestId('srm-banner')).toContainText('Sample ratio mismatch');
  await expect(page.getByTestId('decision')).toContainText('Computed verdict: Invalid');
});

test('more conversions than users is refused and names the cell', async ({ page }) => {
  await propose(page, uniqueTitle('Bad counts'));
  await completeBrief(page);
  await page.getByLabel('Engine').selectOption('sequential');
  await launch(page);
  for (const label of ['users in control', 'users in treatment', 'refunds conversions in control', 'refunds conversions in treatment', 'support_tickets conversions in control', 'support_tickets conversions in treatment']) {
    await page.getByLabel(label, { exact: true }).fill('100');
  }
  await page.getByLabel('purchase conversions in control', { exact: true }).fill('10');
  await page.getByLabel('purchase conversions in treatment', { exact: true }).fill('150');
  await page.getByRole('button', { name: 'Record results' }).click();
  await expect(page.locator('.manual-entry .problems')).toContainText('150 conversions is more than the arm\'s 100 users');
  await expect(page.getByText('No results yet')).toBeVisible();
});

test('with CUPED on, typed-in pre-period sums narrow the interval; a half-filled pre-period is named', async ({ page }) => {
  await propose(page, uniqueTitle('CUPED by hand'));
  await completeBrief(page);
  await page.getByLabel('Engine').selectOption('sequential');
  await launch(page);

  // Buyers before exposure mostly buy again: the pre-period predicts the outcome.
  await typeIn(page, { ...TYPICAL_READING, 'purchase pre-period sum in control': '900' });
  await page.getByRole('button', { name: 'Record results' }).click();
  await expect(page.locator('.manual-entry .problems')).toContainText('purchase pre-period sum of squares in control: required once any pre-period cell of purchase is filled');
  await expect(page.getByText('No results yet')).toBeVisible();

  const pre: Record<string, string> = {
    'purchase pre-period sum of squares in control': '900', 'purchase sum of post x pre in control': '700',
    'purchase pre-period sum in treatment': '905', 'purchase pre-period sum of squares in treatment': '905',
    'purchase sum of post x pre in treatment': '760',
  };
  await typeIn(page, pre);
  await page.getByRole('button', { name: 'Record results' }).click();
  await expect(page.getByTestId('cuped-gain')).toContainText(/CUPED narrowed the interval by \d+%/);
  await expect(page.getByTestId('pre-period-banner')).toContainText('Pre-period check OK');
});
