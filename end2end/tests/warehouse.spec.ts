import { test, expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { completeBrief, launch, open, propose, uniqueTitle } from './support/act';
import { exportFor } from './support/exports';

const ROOT = path.resolve(__dirname, '../..');

/** The PostgreSQL scripts/test.sh started, or a throwaway one that stops when this run ends. */
function warehouseUrl(): string {
  if (process.env.VERDICT_TEST_PG_URL) return process.env.VERDICT_TEST_PG_URL;
  const dir = path.join(os.tmpdir(), `verdict-pg-e2e-${process.pid}`);
  const url = execFileSync(path.join(ROOT, 'scripts/pg-cluster.sh'), ['start', dir, String(process.pid)]);
  return url.toString().trim();
}

/** A Mixpanel pipeline table for `key`, loaded with `verdict warehouse load`. */
function loadTable(url: string, table: string, key: string) {
  const file = path.join(os.tmpdir(), `${table}.jsonl`);
  fs.writeFileSync(file, exportFor(key));
  execFileSync(path.join(ROOT, 'target/debug/verdict'), ['warehouse', 'load', '--table', table, '--file', file, '--replace'], {
    env: { ...process.env, VERDICT_WAREHOUSE_URL: url },
  });
  fs.unlinkSync(file);
}

async function usePulls(page: Page, on: boolean) {
  await open(page, '/settings');
  const box = page.getByLabel('Pull results from the warehouse');
  if (on) await box.check(); else await box.uncheck();
  await page.getByRole('button', { name: 'Save warehouse' }).click();
  await expect(page.getByRole('region', { name: 'Warehouse' }).getByText('Saved.')).toBeVisible();
}

test('An admin connects the warehouse, tests it, and a pull computes the results there', async ({ page }) => {
  const url = warehouseUrl();
  const title = uniqueTitle('Warehouse checkout');
  const key = await propose(page, title);
  await completeBrief(page);
  await page.getByLabel('Engine').selectOption('sequential');
  await launch(page);
  const table = `e2e_events_${Date.now()}`;
  loadTable(url, table, key);
  const password = new URL(url).password;
  let saved = false;

  try {
    // Configure: a wrong table first, then the right one, tested before saving.
    await open(page, '/settings');
    const section = page.getByRole('region', { name: 'Warehouse' });
    await section.getByLabel('Connection URL').fill(url);
    await section.getByLabel('Events table').fill('no_such_table');
    await section.getByRole('button', { name: 'Test connection' }).click();
    await expect(section.getByTestId('warehouse-test')).toContainText('`no_such_table` does not exist');
    await section.getByLabel('Events table').fill(`${table}; DROP TABLE ${table}`);
    await section.getByRole('button', { name: 'Test connection' }).click();
    await expect(section.getByTestId('warehouse-test')).toContainText('is not a plain name');
    await section.getByLabel('Events table').fill(table);
    await section.getByRole('button', { name: 'Test connection' }).click();
    await expect(section.getByTestId('warehouse-test')).toContainText(`Connected. \`${table}\` has every column (time in unix seconds)`);
    await expect(section.getByTestId('warehouse-test')).toContainText('events in the last 24 hours');
    await section.getByLabel('Pull results from the warehouse').check();
    await section.getByRole('button', { name: 'Save warehouse' }).click();
    await expect(section.getByText('Saved.')).toBeVisible();
    saved = true;

    // The URL is write-only: after a reload the page knows where it points, not the password.
    await page.reload();
    await expect(section.getByTestId('warehouse-url-state')).toContainText('URL: set (postgres://127.0.0.1:');
    await expect(section.getByLabel('Connection URL')).toHaveValue('');
    expect(await page.content()).not.toContain(password);

    // Pull: one query in the warehouse, stored as a snapshot, decided like any other.
    await open(page, `/experiments/${key}`);
    await page.getByRole('button', { name: 'Pull now' }).click();
    await expect(page.getByTestId('pull-outcome')).toContainText('Stored a snapshot: 4000 exposed users, computed in the warehouse');
    await expect(page.getByTestId('pull-outcome')).toContainText('events counted in the warehouse');
    await expect(page.getByText(/Latest reading: .*\(warehouse query\)/)).toBeVisible();
    await expect(page.getByTestId('srm-banner')).toContainText('Sample ratio OK');
    await expect(page.getByTestId('decision')).toContainText('Computed verdict');
  } finally {
    // Later tests pull from their fake Mixpanel: give the pulls back to it.
    if (saved) await usePulls(page, false);
  }
});
