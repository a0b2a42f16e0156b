// Opens a calibration report written by `leadscore report --html` with
// JavaScript disabled (the page has none and must not need any) and
// checks that its charts render: four SVG charts with a real size, bars
// and curves inside, and no console or page errors; then runs axe-core
// on it for serious accessibility violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, watch, screenshot, artifactsDir, seriousA11yViolations } from './lib.mjs';

const url = process.env.LEADSCORE_URL;

test('the calibration report renders its charts without JavaScript', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const errors = watch(page);
    await page.goto(url);
    assert.match(await page.locator('h1').textContent(), /Calibration report: b2b-saas/);
    for (const id of ['chart-histogram', 'chart-bands', 'chart-roc', 'chart-gains']) {
      const chart = page.locator(`svg#${id}`);
      assert.equal(await chart.count(), 1, `${id} is missing`);
      const box = await chart.boundingBox();
      assert.ok(box && box.width >= 300 && box.height >= 150, `${id} is ${JSON.stringify(box)}`);
    }
    assert.ok(await page.locator('#chart-histogram rect.bar').count() >= 20, 'histogram bars');
    assert.equal(await page.locator('#chart-bands rect.bar').count(), 3, 'one bar per band');
    for (const id of ['chart-roc', 'chart-gains']) {
      const points = await page.locator(`#${id} polyline.curve`).getAttribute('points');
      assert.ok(points.split(' ').length >= 5, `${id} curve has too few points`);
    }
    // A bar with a height: the charts carry data, not just frames.
    const tallest = await page.locator('#chart-bands rect.bar').evaluateAll((bars) => Math.max(...bars.map((b) => b.getBBox().height)));
    assert.ok(tallest > 20, `tallest band bar is ${tallest}px`);
    assert.ok(await page.locator('td.why li').count() > 0, 'the surprising leads come with explanations');
    await screenshot(page, 'report');
    await page.locator('.charts').screenshot({ path: join(artifactsDir, 'report-charts.png') });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('the calibration report has no serious accessibility violations', async () => {
  const browser = await launch();
  try {
    // axe runs as a script, so this context allows JavaScript.
    const page = await (await browser.newContext()).newPage();
    await page.goto(url);
    assert.deepEqual(await seriousA11yViolations(page), []);
  } finally {
    await browser.close();
  }
});
