import { Page, expect } from '@playwright/test';

/** Opens a page and waits until the wasm has hydrated it (the app marks <body>). */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
}

export function uniqueTitle(prefix: string) {
  return `${prefix} ${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** Proposes an experiment through the form and lands on its page; returns its key. */
export async function propose(page: Page, title: string, team = 'Checkout', surface = 'checkout') {
  await open(page, '/experiments/new');
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Hypothesis (draft)').fill('one page converts better');
  await page.getByLabel('Owner').fill('Ana Souza');
  await page.getByLabel('Team').fill(team);
  await page.getByLabel('Surface').fill(surface);
  await page.getByRole('button', { name: 'Propose' }).click();
  await page.waitForURL(/\/experiments\/(?!new$)[a-z0-9_-]+$/);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  return page.url().split('/').pop()!;
}

/** Fills every field of the brief with a valid plan (10% baseline, +5%, 10,000 users a day). */
export async function completeBrief(page: Page) {
  await page.getByLabel('Changing (what)').fill('the checkout');
  await page.getByLabel('From (A)').fill('three steps');
  await page.getByLabel('To (B)').fill('one page');
  await page.getByLabel('Because (why)').fill('every step loses buyers');
  const primary = page.locator('fieldset', { hasText: 'Primary metric' });
  await primary.getByLabel('Name').fill('purchase');
  await primary.getByLabel('Event').fill('purchase_completed');
  const guardrails = page.locator('fieldset', { hasText: 'Guardrail metrics' });
  for (const [i, name] of ['refunds', 'support_tickets'].entries()) {
    await guardrails.getByRole('button', { name: 'Add a guardrail metric' }).click();
    await guardrails.locator(`input[name="secondary[${i}].name"]`).fill(name);
    await guardrails.locator(`input[name="secondary[${i}].event"]`).fill(name);
  }
  await page.getByLabel('Baseline conversion rate').fill('10');
  await page.getByLabel('Minimum detectable effect').fill('5');
  await page.getByLabel('Expected daily traffic').fill('10000');
  const today = new Date();
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  await page.getByLabel('Planned start').fill(iso(today));
  await page.getByLabel('Planned end').fill(iso(new Date(today.getTime() + 14 * 86400_000)));
  await page.getByLabel('Minimum lift to ship').fill('2');
  await page.getByLabel('Largest tolerated guardrail drop').fill('1');
}

/** Signs the brief off as product, engineering and design: the launch gate asks for all three. */
export async function signOffAll(page: Page) {
  const box = page.getByTestId('sign-offs');
  for (const role of ['product', 'engineering', 'design']) {
    await box.getByRole('button', { name: `Sign off as ${role}` }).click();
    await expect(box.locator(`li[data-role="${role}"]`)).toContainText('signed off by');
  }
}

/** Takes the open proposal, its brief already filled in, to running: saves the brief, marks it
 *  ready, signs it off as the three roles and launches, waiting for each step to land (each move
 *  reloads the page's parts, so a click before it lands would hit a button on its way out). */
export async function launch(page: Page) {
  await page.getByRole('button', { name: 'Save brief' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await page.getByRole('button', { name: 'Mark ready' }).click();
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await signOffAll(page);
  await page.getByRole('button', { name: 'Launch' }).click();
  await expect(page.getByTestId('status')).toHaveText('Running');
}

/** A healthy 50/50 reading for the brief `completeBrief` writes: treatment buys 10% more. */
export const TYPICAL_READING: Record<string, string> = {
  'users in control': '10000', 'users in treatment': '10000',
  'purchase conversions in control': '1000', 'purchase conversions in treatment': '1100',
  'refunds conversions in control': '100', 'refunds conversions in treatment': '101',
  'support_tickets conversions in control': '50', 'support_tickets conversions in treatment': '48',
};

/** Fills the manual entry form's cells by their labels. */
export async function typeIn(page: Page, cells: Record<string, string>) {
  for (const [label, value] of Object.entries(cells)) await page.getByLabel(label, { exact: true }).fill(value);
}

/** Proposes, completes and launches a sequential test (safe to read before its end date), then
 * records `cells` by hand; returns the key. */
export async function launchWithReading(page: Page, title: string, cells: Record<string, string>) {
  const key = await propose(page, title);
  await completeBrief(page);
  await page.getByLabel('Engine').selectOption('sequential');
  await launch(page);
  await typeIn(page, cells);
  await page.getByRole('button', { name: 'Record results' }).click();
  return key;
}
