// The web UI in real headless Chromium: sign in, the leads list and its
// filters, a lead with its explanation and score chart, the reports
// dashboard, the impact preview of a draft, the model editor
// showing a planted YAML error at its line, and the switch to Polish. No
// page may log a console error; every page is saved as a screenshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, watch, screenshot, seriousA11yViolations } from './lib.mjs';

const url = process.env.LEADSCORE_URL;
const email = process.env.LEADSCORE_UI_EMAIL;
const password = process.env.LEADSCORE_UI_PASSWORD;
const topLead = process.env.LEADSCORE_UI_LEAD;
const draftVersion = process.env.LEADSCORE_UI_DRAFT;
const repEmail = process.env.LEADSCORE_UI_REP_EMAIL;
const repLead = process.env.LEADSCORE_UI_REP_LEAD;
const otherLead = process.env.LEADSCORE_UI_OTHER_LEAD;

// a11y collects axe-core's serious and critical violations of every page
// visited, asserted empty at the end so that one run reports them all.
const a11y = [];
async function checkA11y(page, name) {
  for (const v of await seriousA11yViolations(page)) a11y.push(`${name}: ${v}`);
}

// unlabelled lists the form controls a screen reader could not name (axe
// checks more, below; this names the control when it fails).
async function unlabelled(page) {
  return page.$$eval('input:not([type=hidden]), select, textarea, button', (els) =>
    els.filter((el) => {
      if (el.tagName === 'BUTTON') return el.textContent.trim() === '' && !el.getAttribute('aria-label');
      return (el.labels?.length ?? 0) === 0 && !el.getAttribute('aria-label');
    }).map((el) => el.outerHTML.slice(0, 80)));
}

test('web UI: sign in, leads, a lead, reports, the impact preview, the model editor, Polish', async () => {
  const browser = await launch();
  try {
    // A page of an explicit context: axe opens pages in the same context.
    const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    const errors = watch(page);

    await page.goto(url + '/');
    await checkA11y(page, 'sign-in');
    assert.match(new URL(page.url()).pathname, /^\/signin/);
    await screenshot(page, 'ui-signin');
    await page.fill('#email', email);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(/\/leads/), page.click('button[type=submit]')]);

    // Leads: sorted by score, band colours, then filtered.
    const rows = page.locator('table.leads tbody tr');
    assert.ok((await rows.count()) > 10, 'the leads table has rows');
    const scores = await page.$$eval('table.leads tbody td.num', (tds) => tds.map((td) => parseFloat(td.dataset.value)));
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'sorted by score, highest first');
    assert.ok((await page.locator('table.leads .band').count()) > 0, 'band badges');
    assert.deepEqual(await unlabelled(page), [], 'leads page: every control has a label');
    await checkA11y(page, 'leads');
    await screenshot(page, 'ui-leads');
    await page.selectOption('#f-qualified', 'no');
    await page.fill('#f-band', 'cold');
    await Promise.all([page.waitForURL(/band=cold/), page.click('.filters button[type=submit]')]);
    const bands = await page.$$eval('table.leads tbody .band', (els) => els.map((e) => e.textContent.trim()));
    assert.ok(bands.length > 0 && bands.every((b) => b === 'cold'), `only cold leads: ${bands.slice(0, 5)}`);
    await screenshot(page, 'ui-leads-filtered');

    // Sorting without reload (the script): by name, ascending.
    await page.click('table.leads thead th:first-child');
    const names = await page.$$eval('table.leads tbody td:first-child', (tds) => tds.map((td) => td.textContent.trim()));
    assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b, 'en')), 'sorted by name in the browser');

    // A lead: explanation sentences and the score chart.
    await page.goto(url + '/leads/' + encodeURIComponent(topLead));
    const sentences = await page.$$eval('ul.explain li', (lis) => lis.map((li) => li.textContent));
    assert.ok(sentences.some((s) => /^[+−]\d/.test(s)), `explanation sentences: ${sentences}`);
    assert.ok((await page.locator('figure.chart svg circle.pt').count()) > 0, 'the chart marks the changes');
    assert.ok((await page.locator('figure.chart svg path.line').count()) > 0, 'the chart has its line');
    assert.deepEqual(await unlabelled(page), [], 'lead page: every control has a label');
    await checkA11y(page, 'lead');
    await screenshot(page, 'ui-lead');

    // The lead's account, and every other page, each saved as a screenshot.
    const account = await page.getAttribute('#acct a', 'href').catch(() => null);
    const pages = [['ui-models', '/models'], ['ui-model', '/models/b2b-saas'], ['ui-reports-index', '/reports'], ['ui-routing', '/routing'],
      ['ui-webhooks', '/webhooks'], ['ui-settings', '/settings']];
    if (account) pages.unshift(['ui-account', account]);
    for (const [name, path] of pages) {
      const resp = await page.goto(url + path);
      assert.equal(resp.status(), 200, `${path} answers 200`);
      assert.ok((await page.locator('main h1').count()) === 1, `${path} has a heading`);
      assert.deepEqual(await unlabelled(page), [], `${path}: every control has a label`);
      await checkA11y(page, path);
      await screenshot(page, name);
    }

    // Reports: the calibration dashboard with its charts, then threshold
    // advice for a sales capacity.
    let resp = await page.goto(url + '/reports/b2b-saas');
    assert.equal(resp.status(), 200, 'the reports page answers 200');
    assert.ok((await page.locator('figure.chartbox svg').count()) >= 3, 'the dashboard charts');
    assert.match(await page.textContent('#scope'), /stored leads/);
    assert.ok((await page.locator('#deciles ~ table tbody tr').count()) > 0, 'the decile table');
    assert.ok((await page.locator('#lift ~ table tbody tr').count()) > 0, 'the rule lift table');
    assert.deepEqual(await unlabelled(page), [], 'reports page: every control has a label');
    await checkA11y(page, 'reports');
    await screenshot(page, 'ui-reports');
    await page.selectOption('select[name=target]', 'capacity');
    await page.fill('input[name=capacity]', '20');
    await Promise.all([page.waitForURL(/capacity=20/), page.click('form.filters button[type=submit]')]);
    assert.ok((await page.locator('#threshold ~ table tbody tr.picked').count()) === 1, 'the suggested threshold is marked');
    await screenshot(page, 'ui-reports-capacity');

    // The impact preview of the draft, before its activate button.
    await page.goto(url + '/models/b2b-saas?version=' + encodeURIComponent(draftVersion));
    await Promise.all([page.waitForURL(/preview=1/), page.click('#preview-link')]);
    const newly = parseInt(await page.textContent('#preview-newly'), 10);
    assert.ok(newly > 0, `a lower MQL threshold qualifies more leads: ${newly}`);
    assert.ok((await page.locator('#impact svg rect').count()) > 0, 'the distribution chart');
    assert.ok(await page.isVisible('#activate-previewed'), 'the activate button after the preview');
    await checkA11y(page, 'preview');
    await screenshot(page, 'ui-preview');

    // The model editor: a planted error shows at its line.
    await page.goto(url + '/models/b2b-saas/edit');
    const source = await page.inputValue('#source');
    const lines = source.split('\n');
    const bad = lines.findIndex((l) => l.includes('points: 15'));
    assert.ok(bad >= 0, 'the example model has a 15-point rule');
    lines[bad] = lines[bad].replace('points: 15', 'points: lots');
    await page.fill('#source', lines.join('\n'));
    await page.waitForFunction(() => document.getElementById('live').textContent.includes('error'));
    await Promise.all([page.waitForLoadState('load'), page.click('#model-form button[type=submit]')]);
    const marked = page.locator(`#L${bad + 1}.has-diag .diag.error`);
    assert.equal(await marked.count(), 1, `the error is shown at line ${bad + 1}`);
    await checkA11y(page, 'model editor');
    await screenshot(page, 'ui-model-error');

    // Polish, chosen from the menu: the page comes back in Polish.
    await page.selectOption('#lang-select', 'pl');
    await page.waitForSelector('html[lang="pl"]');
    await page.goto(url + '/leads/' + encodeURIComponent(topLead));
    assert.equal(await page.getAttribute('html', 'lang'), 'pl');
    assert.ok((await page.textContent('body')).includes('Historia wyniku'), 'Polish text');
    await screenshot(page, 'ui-lead-pl');
    await page.goto(url + '/leads');
    assert.equal(await page.textContent('h1'), 'Leady');
    await screenshot(page, 'ui-leads-pl');

    assert.deepEqual(errors, []);
    assert.deepEqual(a11y, [], 'no serious or critical accessibility violations');
  } finally {
    await browser.close();
  }
});

test('web UI: a sales rep sees the MQL routed to them, accepts it, and cannot open another lead', async () => {
  const browser = await launch();
  try {
    const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    const errors = watch(page);
    await page.goto(url + '/signin');
    await page.fill('#email', repEmail);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(/\/leads/), page.click('button[type=submit]')]);
    const listed = await page.$$eval('table.leads tbody tr a', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(listed.some((h) => h.endsWith('/leads/' + encodeURIComponent(repLead))), `the rep's lead is listed: ${listed}`);
    await page.goto(url + '/leads/' + encodeURIComponent(repLead));
    await screenshot(page, 'ui-rep-mql');
    await Promise.all([page.waitForLoadState('load'), page.click('form:has(input[name=action][value=accept]) button[type=submit]')]);
    assert.ok((await page.textContent('body')).includes('Accepted by sales'), 'the lead shows it was accepted');
    await checkA11y(page, 'rep lead');
    await screenshot(page, 'ui-rep-accepted');
    assert.deepEqual(errors, []);
    assert.deepEqual(a11y, []);
    // Chromium logs any 403 as a console error, so this comes last.
    const status = await page.evaluate(async (u) => (await fetch(u)).status, url + '/leads/' + encodeURIComponent(otherLead));
    assert.equal(status, 403, "another rep's lead is forbidden");
  } finally {
    await browser.close();
  }
});
