// Checks the browser harness itself: a page served by the Go test renders,
// its script runs, and a console error is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, watch, screenshot, seriousA11yViolations } from './lib.mjs';

const url = process.env.LEADSCORE_URL;

test('renders a page and reports its console errors', async () => {
  const browser = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    const errors = watch(page);
    await page.goto(url + '/ok');
    assert.equal(await page.locator('h1').textContent(), 'ready');
    assert.deepEqual(errors, []);
    assert.deepEqual(await seriousA11yViolations(page), []);
    await screenshot(page, 'smoke');
    // The accessibility check can fail: an image without a text alternative
    // inside a link is a serious violation.
    await page.goto(url + '/inaccessible');
    const found = await seriousA11yViolations(page);
    assert.ok(found.some((v) => v.includes('image-alt') || v.includes('link-name')), `violations seen: ${found}`);
    await page.goto(url + '/broken');
    await page.waitForFunction(() => document.body.dataset.done === '1');
    assert.ok(errors.some((e) => e.includes('deliberate failure')), `errors seen: ${errors}`);
  } finally {
    await browser.close();
  }
});
