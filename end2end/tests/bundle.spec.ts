import { test, expect } from '@playwright/test';
import { completeBrief, launch, open, propose, uniqueTitle } from './support/act';

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

/** Records the wasm files a page asks for, by name. */
function wasmRequests(page: import('@playwright/test').Page) {
  const files: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith('.wasm')) files.push(path.split('/').pop()!);
  });
  return files;
}

// `verdict pack-bundle` (scripts/test.sh and run.sh run it after the build): a first visit takes
// its page's piece, the piece the server drew beside it and every chunk they need as one file,
// compressed as one stream. A running experiment comes with its results and without the brief
// form; a draft with the form and without the results, so the form hydrates in place and works
// at once; "Amend brief" fetches the form when asked.
test('a first visit downloads one pack, with the results for a running experiment and the brief form for a draft', async ({ page, browser }) => {
  const running = await propose(page, uniqueTitle('Packed reading'));
  await completeBrief(page);
  await launch(page);
  const draft = await propose(page, uniqueTitle('Packed draft'));
  const storageState = await page.context().storageState();

  const readerContext = await browser.newContext({ storageState });
  const reader = await readerContext.newPage();
  const read = wasmRequests(reader);
  await open(reader, `/experiments/${running}`);
  await expect(reader.getByTestId('status')).toHaveText('Running');
  expect(read).toContain('verdict.wasm');
  expect(read.filter((f) => f.endsWith('.pack.wasm'))).toEqual([
    expect.stringMatching(/^split_experiment_page_\d+\.with_results_part\.pack\.wasm$/),
  ]);
  expect(read.filter((f) => f.startsWith('chunk_'))).toEqual([]);
  expect(read.filter((f) => f.includes('brief_form'))).toEqual([]);
  // The results came with the page (hand entry is open, with no results yet), and the close
  // form opens without fetching anything more.
  const before = read.length;
  await expect(reader.getByRole('button', { name: 'Record results' })).toBeVisible();
  await reader.getByRole('button', { name: 'Close with a verdict…' }).click();
  await expect(reader.getByRole('button', { name: 'Cancel closing' })).toBeVisible();
  await expect(reader.getByLabel('Summary')).toBeVisible();
  expect(read.slice(before)).toEqual([]);
  // "Amend brief" fetches the form's own pack, one file, though the results already loaded
  // some of the chunks it shares with the form.
  const beforeAmend = read.length;
  await reader.getByRole('button', { name: 'Amend brief' }).click();
  await expect(reader.getByTestId('amend-form')).toBeVisible();
  await expect(reader.getByLabel('Baseline conversion rate')).toHaveValue('10');
  expect(read.slice(beforeAmend)).toEqual([expect.stringMatching(/^split_brief_form_\d+\.pack\.wasm$/)]);

  const editorContext = await browser.newContext({ storageState });
  const editor = await editorContext.newPage();
  const edit = wasmRequests(editor);
  await open(editor, `/experiments/${draft}`);
  expect(edit.filter((f) => f.endsWith('.pack.wasm'))).toEqual([
    expect.stringMatching(/^split_experiment_page_\d+\.with_brief_form\.pack\.wasm$/),
  ]);
  expect(edit.filter((f) => f.includes('results_part'))).toEqual([]);
  expect(edit.filter((f) => f.startsWith('chunk_'))).toEqual([]);
  await completeBrief(editor);
  await expect(editor.getByTestId('n-per-arm')).toHaveText('57,763');
  await editor.getByRole('button', { name: 'Save brief' }).click();
  await expect(editor.getByText('Saved.')).toBeVisible();
  await readerContext.close();
  await editorContext.close();
});
