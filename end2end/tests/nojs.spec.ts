import { test, expect } from '@playwright/test';
import { launchWithReading, TYPICAL_READING, uniqueTitle } from './support/act';

// Reading needs no script: every page is rendered on the server, so a slow laptop (or a
// browser with scripts off) reads the board, the list, an experiment and the dashboard before
// or without hydration.
test.describe('with JavaScript disabled', () => {
  test('the board, the list, an experiment page and the program read in full', async ({ page, browser }) => {
    // Arrange (with scripts): a launched experiment with typed-in results.
    const title = uniqueTitle('Read without scripts');
    const key = await launchWithReading(page, title, TYPICAL_READING);
    await expect(page.getByTestId('srm-banner')).toContainText('Sample ratio OK');

    // Act and assert (without scripts, same session).
    const state = await page.context().storageState();
    const context = await browser.newContext({ javaScriptEnabled: false, storageState: state });
    const plain = await context.newPage();
    const base = new URL(page.url()).origin;

    await plain.goto(`${base}/`);
    await expect(plain.locator('body[data-hydrated="true"]')).toHaveCount(0);
    await expect(plain.locator(`section.column-running [data-key="${key}"]`)).toContainText(title);

    await plain.goto(`${base}/experiments?sort=lift&q=${encodeURIComponent(title)}`);
    const row = plain.locator('tr', { hasText: title });
    await expect(row).toContainText('+10.0%');

    await plain.goto(`${base}/experiments/${key}`);
    await expect(plain.getByRole('heading', { name: title })).toBeVisible();
    await expect(plain.getByTestId('srm-banner')).toContainText('Sample ratio OK');
    await expect(plain.getByTestId('sentence').first()).toContainText('treatment converts 10.0% more often than control on purchase');

    await plain.goto(`${base}/program`);
    await expect(plain.getByRole('heading', { name: 'Program', exact: true })).toBeVisible();
    await expect(plain.getByText(/Win rate/).first()).toBeVisible();
    await context.close();
  });
});
