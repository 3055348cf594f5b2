import { test, expect } from '@playwright/test';
import { completeBrief, launchWithReading, propose, TYPICAL_READING, uniqueTitle } from './support/act';

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

// The lifecycle buttons are forms that post to the server, so an editor moves an experiment
// before the page's script has loaded (or without it): the move lands, or the page comes back
// listing the gate's reasons.
test.describe('moving an experiment with JavaScript disabled', () => {
  test('an incomplete brief is refused with its reasons; a complete one is marked ready, signed off and launched', async ({ page, browser }) => {
    // Arrange (with scripts): one proposal left as proposed, one with its brief complete.
    const bare = await propose(page, uniqueTitle('No script refusal'));
    const key = await propose(page, uniqueTitle('No script move'));
    await completeBrief(page);
    await page.getByRole('button', { name: 'Save brief' }).click();
    await expect(page.getByText('Saved.')).toBeVisible();
    const state = await page.context().storageState();
    const context = await browser.newContext({ javaScriptEnabled: false, storageState: state });
    const plain = await context.newPage();
    const base = new URL(page.url()).origin;

    // Act and assert: the incomplete brief is refused, the gate's reasons on the page.
    await plain.goto(`${base}/experiments/${bare}`);
    await plain.getByRole('button', { name: 'Mark ready' }).click();
    await expect(plain.getByTestId('move-refusal')).toContainText('Not moved:');
    await expect(plain.getByTestId('move-refusal')).toContainText('minimum detectable effect is required');
    await expect(plain.getByTestId('status')).toHaveText('Proposed');

    // The complete one moves to ready, then back to drafting.
    await plain.goto(`${base}/experiments/${key}`);
    await plain.getByRole('button', { name: 'Mark ready' }).click();
    await expect(plain.getByTestId('status')).toHaveText('Ready');
    await expect(plain.getByTestId('move-refusal')).toHaveCount(0);
    await plain.getByRole('button', { name: 'Back to drafting' }).click();
    await expect(plain.getByTestId('status')).toHaveText('Proposed');

    // Marked ready again, signed off in the three roles and launched, all without scripts.
    await plain.getByRole('button', { name: 'Mark ready' }).click();
    await expect(plain.getByTestId('status')).toHaveText('Ready');
    const box = plain.getByTestId('sign-offs');
    for (const role of ['product', 'engineering', 'design']) {
      await box.getByRole('button', { name: `Sign off as ${role}` }).click();
      await expect(box.locator(`li[data-role="${role}"]`)).toContainText('signed off by');
    }
    await box.locator('li[data-role="design"]').getByRole('button', { name: 'Withdraw' }).click();
    await expect(box.locator('li[data-role="design"]')).toContainText('not yet');
    await plain.getByRole('button', { name: 'Launch' }).click();
    await expect(plain.getByTestId('move-refusal')).toContainText('design');
    await box.getByRole('button', { name: 'Sign off as design' }).click();
    await plain.getByRole('button', { name: 'Launch' }).click();
    await expect(plain.getByTestId('status')).toHaveText('Running');
    await expect(plain.locator('body[data-hydrated="true"]')).toHaveCount(0);
    await context.close();
  });
});
