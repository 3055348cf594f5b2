import { test, expect } from '@playwright/test';
import { open, propose, uniqueTitle } from './support/act';
import { ADMIN } from './support/accounts';

test('signing out ends the session; a wrong password is refused; signing in returns to the page', async ({ browser }) => {
  // A context of its own, so signing out does not end the session the other tests share.
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto('/program?team=Growth');
  await expect(page).toHaveURL(/\/login\?next=%2Fprogram%3Fteam%3DGrowth$/);

  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('do not match an active account');
  await expect(page.getByLabel('Email')).toHaveValue(ADMIN.email);

  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/program\?team=Growth$/);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await context.close();
});

test('script and SQL typed into an experiment round-trip verbatim and stay inert', async ({ page }) => {
  const xss = `<img src=x onerror="window.__pwned=1">${uniqueTitle('')}`;
  const sql = `'); DROP TABLE experiment; --`;
  await page.addInitScript(() => {
    // Any script the payload managed to run would set this or open a dialog.
    (window as any).__pwned = 0;
  });
  page.on('dialog', () => { throw new Error('a payload opened a dialog'); });
  const key = await propose(page, xss, sql, '<script>window.__pwned=1</script>');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(xss);
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__pwned)).toBe(0);

  // The board lists it with the text as typed, and the table is still there.
  await open(page, `/?team=${encodeURIComponent(sql)}`);
  await expect(page.locator(`[data-key="${key}"]`)).toContainText(xss);
  await open(page, `/?q=${encodeURIComponent("' OR 1=1 --")}`);
  await expect(page.locator('.card')).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__pwned)).toBe(0);
});

test('an admin creates a token that works on the API and stops working once revoked', async ({ page, playwright }) => {
  await open(page, '/admin/tokens');
  const name = uniqueTitle('monitoring');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Role').selectOption('viewer');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.getByTestId('new-token').textContent())!.trim();
  expect(secret).toMatch(/^vdt_[0-9a-f]{64}$/);

  const api = await playwright.request.newContext({ baseURL: 'http://127.0.0.1:3100' });
  const auth = { Authorization: `Bearer ${secret}` };
  expect((await api.get('/api/v1/experiments', { headers: auth })).status()).toBe(200);
  const write = await api.post('/api/v1/experiments', {
    headers: auth,
    data: { key: 'viewer_write', title: 'Viewer write', owner: 'x', team: 'y' },
  });
  expect(write.status()).toBe(403);

  await page.getByRole('button', { name: `Revoke ${name}` }).click();
  await expect(page.locator('tr', { hasText: name })).toContainText('revoked');
  expect((await api.get('/api/v1/experiments', { headers: auth })).status()).toBe(401);
  await api.dispose();
});

test('an admin resets a password; the person must choose their own before anything else, and their other sessions end', async ({ page, browser }) => {
  const who = uniqueTitle('Reset').replace(/\s+/g, '');
  const email = `${who.toLowerCase()}@verdict.test`;
  await open(page, '/admin/users');
  await page.getByLabel('Name').fill(who);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('First password').fill('password1234');
  await page.getByRole('button', { name: 'Add' }).click();
  // A long but guessable password is refused with advice.
  await expect(page.getByText(/too easy to guess/)).toBeVisible();
  await page.getByLabel('First password').fill('amber lantern over quiet fields');
  await page.getByRole('button', { name: 'Add' }).click();
  await expect(page.getByText(`Added ${email}`)).toBeVisible();

  // They sign in in a browser of their own.
  const theirs = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const them = await theirs.newPage();
  await them.goto('/login');
  await them.getByLabel('Email').fill(email);
  await them.getByLabel('Password').fill('amber lantern over quiet fields');
  await them.getByRole('button', { name: 'Sign in' }).click();
  await expect(them).toHaveURL(/\/$/);

  await page.getByRole('button', { name: `Reset password of ${who}` }).click();
  const generated = (await page.getByTestId('reset-password').textContent())!.trim();
  expect(generated).toHaveLength(20);

  // Their open session ended with the reset.
  await them.goto('/program');
  await expect(them).toHaveURL(/\/login/);
  await them.getByLabel('Email').fill(email);
  await them.getByLabel('Password').fill(generated);
  await them.getByRole('button', { name: 'Sign in' }).click();
  await expect(them).toHaveURL(/\/account\?must_change=1/);
  await expect(them.getByRole('alert')).toContainText('An admin reset your password');
  await them.goto('/program');
  await expect(them).toHaveURL(/\/account\?must_change=1/);

  await them.getByLabel('Current password').fill(generated);
  await them.getByLabel('New password', { exact: true }).fill('copper heron beneath winter rain');
  await them.getByLabel('New password again').fill('copper heron beneath winter rain');
  await them.getByRole('button', { name: 'Change password' }).click();
  await expect(them).toHaveURL(/\/account\?changed=1/);
  await expect(them.getByRole('status')).toContainText('Password changed');
  await them.goto('/program');
  await expect(them).toHaveURL(/\/program$/);
  await theirs.close();
});
