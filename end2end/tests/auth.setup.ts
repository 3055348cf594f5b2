import { test as setup, expect, Page } from '@playwright/test';
import { ADMIN, DEMO, STATE } from './support/accounts';

// Runs before every other spec (a Playwright setup project): the first-run setup page on both
// servers, which also proves that a fresh install sends people to it and signs them in.
async function firstRun(page: Page, origin: string) {
  await page.goto(`${origin}/`);
  await expect(page).toHaveURL(`${origin}/setup`);
  await expect(page.getByRole('heading', { name: 'Set up Verdict' })).toBeVisible();
  // A mistyped confirmation is caught and the typed name and email are kept.
  await page.getByLabel('Your name').fill(ADMIN.name);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.locator('input[name="password"]').fill(ADMIN.password);
  await page.getByLabel('Password again').fill('something else entirely');
  await page.getByRole('button', { name: 'Create the admin account' }).click();
  await expect(page.getByRole('alert')).toContainText('The two passwords differ');
  await expect(page.getByLabel('Email')).toHaveValue(ADMIN.email);

  await page.getByLabel('Your name').fill(ADMIN.name);
  await page.locator('input[name="password"]').fill(ADMIN.password);
  await page.getByLabel('Password again').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create the admin account' }).click();
  await expect(page).toHaveURL(`${origin}/`);
  await expect(page.locator('.whoami')).toContainText(`${ADMIN.name} · admin`);
}

setup('the first run creates an admin and signs them in', async ({ page }) => {
  await firstRun(page, 'http://127.0.0.1:3100');
  await firstRun(page, DEMO);
  await page.context().storageState({ path: STATE });
});
