import { test, expect } from '@playwright/test';
import { open, propose, uniqueTitle } from './support/act';
import { DEMO } from './support/accounts';

test('an empty program offers the demo, which fills all four columns', async ({ page }) => {
  await page.goto(`${DEMO}/`);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(page.getByRole('heading', { name: 'No experiments yet' })).toBeVisible();
  await page.getByRole('button', { name: 'Load the demo program' }).click();
  for (const column of ['proposed', 'ready', 'running', 'done']) {
    await expect(page.locator(`section.column-${column} .card`).first()).toBeVisible();
  }
  await expect(page.locator('.badge.overdue').first()).toBeVisible();
});

test('filters live in the URL and a shared filtered link shows the same cards', async ({ page }) => {
  const team = `Team${Date.now().toString(36)}`;
  const key = await propose(page, uniqueTitle('Filter target'), team);
  await propose(page, uniqueTitle('Other team'), 'Elsewhere');
  await open(page, '/');
  await page.getByLabel('Team').selectOption(team);
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(new RegExp(`team=${team}`));
  await expect(page.locator('.card')).toHaveCount(1);
  await expect(page.locator(`[data-key="${key}"]`)).toBeVisible();

  // The same URL in a fresh page, before any script runs, shows the same single card.
  const url = page.url();
  const shared = await page.context().newPage();
  await shared.goto(url);
  await expect(shared.locator('.card')).toHaveCount(1);
});

test('an unknown experiment is a real 404 page', async ({ page }) => {
  const response = await page.goto('/experiments/no_such_experiment');
  expect(response!.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await expect(page.getByText("experiment 'no_such_experiment' not found")).toBeVisible();
  const other = await page.goto('/no/such/page');
  expect(other!.status()).toBe(404);
});
