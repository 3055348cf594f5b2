import { test, expect } from '@playwright/test';
import { completeBrief, launch, propose, signOffAll, uniqueTitle } from './support/act';

test('launch waits for product, engineering and design to sign off, and an edit clears them', async ({ page }) => {
  await propose(page, uniqueTitle('Signed checkout'));
  await completeBrief(page);
  await page.getByRole('button', { name: 'Save brief' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await page.getByRole('button', { name: 'Mark ready' }).click();
  await expect(page.getByTestId('status')).toHaveText('Ready');

  // The box lists what launch still waits for, and the gate refuses with the same reasons.
  const gate = page.getByTestId('launch-gate');
  for (const role of ['product', 'engineering', 'design']) await expect(gate).toContainText(`no ${role} sign-off yet`);
  await page.getByRole('button', { name: 'Launch' }).click();
  await expect(page.locator('.lifecycle .refusal')).toContainText('no design sign-off yet');
  await expect(page.getByTestId('status')).toHaveText('Ready');

  // A sign-off followed by an edit of the brief is cleared.
  const box = page.getByTestId('sign-offs');
  await box.getByRole('button', { name: 'Sign off as product' }).click();
  await expect(box.locator('li[data-role="product"]')).toContainText('signed off by');
  await expect(gate).not.toContainText('no product sign-off yet');
  await page.getByLabel('Minimum detectable effect').fill('6');
  await page.getByRole('button', { name: 'Save brief' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await expect(box.getByRole('button', { name: 'Sign off as product' })).toBeVisible();
  await expect(gate).toContainText('no product sign-off yet');

  await signOffAll(page);
  await expect(gate).toHaveCount(0);
  await page.getByRole('button', { name: 'Launch' }).click();
  await expect(page.getByTestId('status')).toHaveText('Running');
  // After launch the sign-offs are part of the record: shown, no longer changeable.
  await expect(box.locator('li.signed')).toHaveCount(3);
  await expect(box.getByRole('button')).toHaveCount(0);
});

test('a running brief is amended only with a reason, and the results show the amendment', async ({ page }) => {
  await propose(page, uniqueTitle('Amended checkout'));
  await completeBrief(page);
  await launch(page);
  await expect(page.getByText('Locked at launch')).toBeVisible();

  await page.getByRole('button', { name: 'Amend brief' }).click();
  const form = page.getByTestId('amend-form');
  await form.getByLabel('Minimum lift to ship').fill('3');
  await form.getByRole('button', { name: 'Save amendment' }).click();
  await expect(form.getByRole('alert')).toContainText('Write the reason for this amendment first');
  await expect(page.getByTestId('amendment')).toHaveCount(0);

  await form.getByLabel('Reason for the amendment (required)').fill('finance raised the bar to 3%');
  await form.getByRole('button', { name: 'Save amendment' }).click();
  const notice = page.getByTestId('amendment');
  await expect(notice).toContainText(/Decision rule changed on \d{4}-\d{2}-\d{2} by .+: finance raised the bar to 3%/);
  await expect(page.getByTestId('amend-form')).toHaveCount(0);

  // The notice is part of the page, not of the session that made it.
  await page.reload();
  await expect(page.getByTestId('amendment')).toContainText('Decision rule changed on');
});
