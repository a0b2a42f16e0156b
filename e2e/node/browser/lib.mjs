// Shared helpers for the browser checks: they drive Debian's Chromium
// (never a downloaded browser) through playwright-core and collect every
// console error and uncaught page error, so a check can fail on them.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const executablePath = process.env.LEADSCORE_CHROMIUM || '/usr/bin/chromium';
export const artifactsDir = process.env.LEADSCORE_ARTIFACTS || 'artifacts';

// launch starts a headless Chromium. --no-sandbox because CI runs as root,
// where Chromium refuses to start its sandbox.
export async function launch() {
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
}

// watch records console errors and page errors of page into the returned
// array, which a check asserts empty at its end.
export function watch(page) {
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  return errors;
}

// screenshot saves a full-page PNG under the artefacts directory and
// returns its path.
export async function screenshot(page, name) {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// seriousA11yViolations runs axe-core on the page as it is now and returns
// the violations of impact serious or critical, each as one line naming
// the rule and the elements, for an assertion that there are none. The
// page must come from browser.newContext(), not browser.newPage(): axe
// opens a page of its own in the same context.
export async function seriousA11yViolations(page) {
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}
