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

test('the search box finds a word inside a title, any case, and counts only what it finds', async ({ page }) => {
  const stem = `Zq${Date.now().toString(36)}`;
  const key = await propose(page, uniqueTitle(`Searchable ${stem}widget`));
  await propose(page, uniqueTitle('Unrelated'));
  await open(page, '/');
  // The middle of a word, in another case: substring search as before, now through the index.
  await page.getByLabel('Search').fill(`${stem.slice(1).toUpperCase()}WIDG`);
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/q=/);
  await expect(page.locator('.card')).toHaveCount(1);
  await expect(page.locator(`[data-key="${key}"]`)).toBeVisible();
  await expect(page.getByText('1 matching')).toBeVisible();
});

test('an unknown experiment is a real 404 page', async ({ page }) => {
  const response = await page.goto('/experiments/no_such_experiment');
  expect(response!.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await expect(page.getByText("experiment 'no_such_experiment' not found")).toBeVisible();
  const other = await page.goto('/no/such/page');
  expect(other!.status()).toBe(404);
});

test('a long column shows 25 cards, "show more" pages on in the URL, and a paged card still moves by keyboard', async ({ page }) => {
  await open(page, '/');
  const origin = new URL(page.url()).origin;
  const team = `Paging${Date.now().toString(36)}`;
  for (let i = 0; i < 27; i++) {
    const r = await page.request.post('/api/v1/experiments', {
      headers: { Origin: origin },
      data: { key: `${team.toLowerCase()}_${i}`, title: `Paged ${i}`, owner: 'Ana', team,
              hypothesis: 'fewer steps convert better', surface: 'paging', tags: [] },
    });
    expect(r.status()).toBe(201);
  }
  await open(page, `/?team=${team}`);
  const proposed = page.locator('section.column-proposed');
  await expect(proposed.locator('h2 .count')).toHaveText('27');
  await expect(proposed.locator('.card')).toHaveCount(25);
  await expect(proposed.locator('.card').first()).toContainText('Paged 26');
  await proposed.getByTestId('more-proposed').click();
  await expect(page).toHaveURL(/more_proposed=/);
  await expect(page).toHaveURL(new RegExp(`team=${team}`));
  await expect(proposed.locator('.card')).toHaveCount(27);
  await expect(proposed.getByTestId('more-proposed')).toHaveCount(0);

  // The oldest card, only shown after "show more", is moved from the keyboard: the gate answers
  // beside that card (its brief is empty), so the move reached the server from a paged column.
  const oldest = proposed.locator(`[data-key="${team.toLowerCase()}_0"]`);
  await oldest.getByRole('button', { name: 'Mark ready' }).focus();
  await page.keyboard.press('Enter');
  await expect(oldest.getByRole('alert')).toContainText('hypothesis');
  await expect(proposed.locator('.card')).toHaveCount(27);
});
