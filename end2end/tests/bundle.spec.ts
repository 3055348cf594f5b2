import { test, expect } from '@playwright/test';
import { completeBrief, open, propose, uniqueTitle } from './support/act';

// The pages' code comes in lazily loaded pieces (cargo leptos build --split): the board hydrates
// with the shell and its own piece, and an experiment page's larger piece (brief editor,
// calculator, results) is fetched only when someone goes there.
test('the board loads its own piece of the code, and the experiment piece only when an experiment is opened', async ({ page }) => {
  const title = uniqueTitle('Split bundle');
  const key = await propose(page, title);

  const fresh = await page.context().browser()!.newContext({ storageState: await page.context().storageState() });
  const board = await fresh.newPage();
  const wasm: string[] = [];
  board.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith('.wasm')) wasm.push(path);
  });
  await open(board, '/');
  expect(wasm).toContain('/pkg/verdict.wasm');
  expect(wasm.some((p) => p.includes('split_browse_page'))).toBe(true);
  expect(wasm.filter((p) => p.includes('split_experiment_page'))).toEqual([]);

  // Following the card's link is a client-side navigation: the experiment piece arrives, and the
  // page it draws works: the calculator recomputes as the brief is typed.
  await board.locator(`[data-key="${key}"] h3 a`).click();
  await expect(board).toHaveURL(new RegExp(`/experiments/${key}$`));
  await expect(board.getByRole('heading', { name: title })).toBeVisible();
  expect(wasm.some((p) => p.includes('split_experiment_page'))).toBe(true);
  await completeBrief(board);
  await expect(board.getByTestId('n-per-arm')).toHaveText('57,763');
  await fresh.close();
});
