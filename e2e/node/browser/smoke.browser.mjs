// Checks the browser harness itself: a page served by the Go test renders,
// its script runs, and a console error is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, watch, screenshot } from './lib.mjs';

const url = process.env.LEADSCORE_URL;

test('renders a page and reports its console errors', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = watch(page);
    await page.goto(url + '/ok');
    assert.equal(await page.locator('h1').textContent(), 'ready');
    assert.deepEqual(errors, []);
    await screenshot(page, 'smoke');
    await page.goto(url + '/broken');
    await page.waitForFunction(() => document.body.dataset.done === '1');
    assert.ok(errors.some((e) => e.includes('deliberate failure')), `errors seen: ${errors}`);
  } finally {
    await browser.close();
  }
});
