import { test, expect } from '@playwright/test';
import { open, propose, uniqueTitle } from './support/act';

test('a save from a stale version is refused and keeps the unsaved edits in the form', async ({ page, context }) => {
  const key = await propose(page, uniqueTitle('Two editors'));
  const other = await context.newPage();
  await open(other, `/experiments/${key}`);

  await page.getByLabel('Changing (what)').fill('first editor wording');
  await page.getByRole('button', { name: 'Save brief' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();

  await other.getByLabel('Changing (what)').fill('second editor wording');
  await other.getByRole('button', { name: 'Save brief' }).click();
  await expect(other.getByRole('alert').filter({ hasText: 'someone else saved this experiment' })).toBeVisible();
  await expect(other.getByLabel('Changing (what)')).toHaveValue('second editor wording');

  await other.reload();
  await expect(other.getByLabel('Changing (what)')).toHaveValue('first editor wording');
});
