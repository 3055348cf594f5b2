import { test, expect } from '@playwright/test';
import { completeBrief, launch, open, propose, uniqueTitle } from './support/act';

test('a proposal goes from proposed to done in the browser and stays done after a reload', async ({ page }) => {
  const title = uniqueTitle('One-page checkout');
  const key = await propose(page, title);
  await expect(page.getByTestId('status')).toHaveText('Proposed');

  // The calculator recomputes in the browser as the brief is typed.
  await completeBrief(page);
  await expect(page.getByTestId('n-per-arm')).toHaveText('57,763');
  await page.getByLabel('Minimum detectable effect').fill('10');
  await expect(page.getByTestId('n-per-arm')).toHaveText('14,751');
  await page.getByLabel('Minimum detectable effect').fill('5');
  await expect(page.getByTestId('checklist')).toContainText('The brief is complete');

  await launch(page);
  await expect(page.getByText('Locked at launch')).toBeVisible();

  // The close form opens on request; closing before the planned end needs a verdict, a summary
  // and a reason.
  await expect(page.getByRole('button', { name: 'Close experiment' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Close with a verdict…' }).click();
  await page.getByRole('button', { name: 'Close experiment' }).click();
  await expect(page.locator('.lifecycle .refusal')).toContainText('choose a verdict');
  await page.getByLabel('Ship', { exact: true }).check();
  await page.getByLabel('Summary').fill('One page lifted purchases by 6%.');
  await page.getByLabel(/Reason for stopping/).fill('clear winner, guardrails flat');
  await page.getByRole('button', { name: 'Close experiment' }).click();
  await expect(page.locator('.lifecycle .refusal')).toContainText("post-mortem's lessons");
  await page.getByLabel('Lessons (required)').fill('Fewer steps beat reassurance copy.');
  await page.getByLabel('Next test idea').fill('Remove the coupon field from checkout');
  await page.getByRole('button', { name: 'Close experiment' }).click();
  await expect(page.getByTestId('status')).toHaveText('Done');
  await expect(page.getByTestId('conclusion')).toContainText('Ship treatment');

  await page.reload();
  // "Propose it" below is a script button: the click must come after hydration (on a loaded
  // machine a click right after the reload landed before it, and nothing happened).
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(page.getByTestId('status')).toHaveText('Done');
  await expect(page.getByTestId('conclusion')).toContainText('Stopped early: clear winner');
  await expect(page.locator('.history li')).toHaveCount(4);
  await expect(page.getByTestId('post-mortem')).toContainText('Fewer steps beat reassurance copy.');

  // The next test idea becomes a linked proposal in one click.
  await page.getByRole('button', { name: 'Propose it' }).click();
  await page.waitForURL(/remove_the_coupon_field_from_checkout/);
  await expect(page.getByTestId('status')).toHaveText('Proposed');
  await expect(page.locator('.crumbs')).toContainText(`follows ${key}`);

  await open(page, '/');
  const doneColumn = page.locator('section.column-done');
  await expect(doneColumn.locator(`[data-key="${key}"]`)).toBeVisible();
});

test('a refused move shows every reason next to the card on the board', async ({ page }) => {
  const title = uniqueTitle('Incomplete idea');
  const key = await propose(page, title);
  await open(page, `/?q=${encodeURIComponent(title)}`);
  const card = page.locator(`[data-key="${key}"]`);
  await card.getByRole('button', { name: 'Mark ready' }).click();
  const refusal = card.locator('.refusal');
  await expect(refusal).toContainText('Not moved');
  await expect(refusal).toContainText('primary metric');
  await expect(refusal).toContainText('minimum detectable effect is required');
  await expect(page.locator('section.column-proposed').locator(`[data-key="${key}"]`)).toBeVisible();
});

test('a card dragged to the next column moves there', async ({ page }) => {
  const key = await propose(page, uniqueTitle('Drag me'));
  await completeBrief(page);
  await page.getByRole('button', { name: 'Save brief' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await open(page, `/?q=${key}`);
  await page.locator(`[data-key="${key}"]`).dragTo(page.locator('section.column-ready'));
  await expect(page.locator('section.column-ready').locator(`[data-key="${key}"]`)).toBeVisible();
});
