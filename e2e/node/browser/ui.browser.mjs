// The web UI in real headless Chromium: sign in, the leads list and its
// filters, a lead with its explanation and score chart, the reports
// dashboard, the impact preview of a draft, the model editor
// showing a planted YAML error at its line, fixing it with a rule worth
// more, previewing and activating that version, following the job to its
// end and seeing a lead's score rise by exactly the raise, and the switch
// to Polish. Sales reps see their team's leads and not another team's.
// Before that, a draft runs in shadow from the model page's versions table
// and is compared with the champion on the champion/challenger page, then
// stopped; the predictive models page lists a trained artefact and its
// page shows the training report. No page may log a console error; every
// page is saved as a screenshot.
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
// The lead whose score the edited model raises by raise points (its
// senior-title rule counts and has room under its category's cap).
const raisedLead = process.env.LEADSCORE_UI_RAISED_LEAD;
const raisedEmail = process.env.LEADSCORE_UI_RAISED_EMAIL;
const raise = parseInt(process.env.LEADSCORE_UI_RAISE, 10);
// mate is in the rep's team; outsider in another.
const mateEmail = process.env.LEADSCORE_UI_MATE_EMAIL;
const outsiderEmail = process.env.LEADSCORE_UI_OUTSIDER_EMAIL;
// The active version of b2b-saas before the editor's activation: the
// champion the draft is compared with in shadow.
const champion = process.env.LEADSCORE_UI_CHAMPION;
// A predictive model trained from the recorded outcomes, with its
// out-of-time ROC AUC as the pages print it.
const predictive = process.env.LEADSCORE_UI_PREDICTIVE;
const predictiveVersion = process.env.LEADSCORE_UI_PREDICTIVE_VERSION;
const predictiveAUC = process.env.LEADSCORE_UI_PREDICTIVE_AUC;

// LEADSCORE_UI_PART runs one part of the checks: compare (the
// champion/challenger and predictive pages) or main (the rest). The Go test
// runs the parts one after the other, each within its own time bound;
// without it every check runs, compare first.
const part = process.env.LEADSCORE_UI_PART || '';
function only(name) {
  return { skip: part !== '' && part !== name };
}

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

// displayed reads the score a lead page shows for a model, as a number.
async function displayed(page, model) {
  const text = (await page.textContent(`#score-${model} .big`)).trim();
  assert.match(text, /^\d+$/, `the ${model} score is a whole number: ${text}`);
  return parseInt(text, 10);
}

// signIn signs a new page of its own context in as email.
async function signIn(browser, email) {
  const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  const errors = watch(page);
  await page.goto(url + '/signin');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(/\/leads/), page.click('button[type=submit]')]);
  return { page, errors };
}

// Before the main flow activates a version: the draft runs in shadow
// beside the version active now.
test('web UI: champion/challenger from the model page, and the predictive models', only('compare'), async () => {
  const browser = await launch();
  try {
    const { page, errors } = await signIn(browser, email);
    // Champion/challenger: the model page's versions table runs the draft
    // in shadow (the active version offers no such button), the shadow
    // page compares it with the champion once its job has scored the
    // stored leads, the model page marks it, and the shadow is stopped.
    await page.goto(url + '/models/b2b-saas');
    assert.equal(await page.locator(`form.shadow-start[data-version="${champion}"]`).count(), 0, 'the active version cannot run in shadow');
    const runShadow = page.locator(`form.shadow-start[data-version="${draftVersion}"] button[type=submit]`);
    assert.equal((await runShadow.textContent()).trim(), 'Run in shadow', 'the draft has a Run in shadow button');
    await Promise.all([page.waitForURL(/\/reports\/b2b-saas\/shadow\?job=/), runShadow.click()]);
    assert.equal((await page.textContent('#shadow-version')).trim(), draftVersion, 'the draft runs in shadow');
    await checkA11y(page, 'shadow started');
    await screenshot(page, 'ui-shadow-started');
    await Promise.all([page.waitForURL(/\/jobs\//), page.click('p.notice a[href^="/jobs/"]')]);
    await page.waitForSelector('[data-job][data-running="false"]', { timeout: 60_000 });
    assert.equal(await page.locator('.state-succeeded').count(), 1, `the shadow's scoring job succeeded: ${await page.textContent('main')}`);
    let resp = await page.goto(url + '/reports/b2b-saas/shadow');
    assert.equal(resp.status(), 200, 'the shadow page answers 200');
    assert.match(await page.textContent('h1'), /Champion\/challenger: b2b-saas/);
    const facts = await page.$$eval('#running ~ dl.facts dd code', (els) => els.map((e) => e.textContent.trim()));
    assert.deepEqual(facts, [champion, draftVersion], 'the page names the champion and the challenger');
    const sides = await page.$$eval('#sides ~ table tbody tr:first-child td', (tds) => tds.map((td) => td.textContent.trim()));
    assert.deepEqual(sides, [champion, draftVersion], 'the side-by-side table compares both versions');
    const sideRows = await page.$$eval('#sides ~ table tbody th', (ths) => ths.map((th) => th.textContent.trim()));
    assert.ok(sideRows.includes('ROC AUC'), `the side-by-side table compares ROC AUC: ${sideRows}`);
    assert.match(await page.textContent('#verdict-text'), /ROC AUC|outcomes/, 'a verdict in words');
    assert.match(await page.textContent('#verdict ~ p.hint'), /leads scored by both versions/);
    const agreement = await page.$$eval('[id^=agree-]', (tds) => tds.map((td) => parseInt(td.textContent.replace(/\D/g, ''), 10)));
    assert.equal(agreement.length, 4, 'the agreement table');
    assert.ok(agreement[2] > 0 && agreement[1] === 0, `a lower threshold qualifies more leads and drops none: ${agreement}`);
    assert.ok((await page.locator('figure.chartbox svg').count()) >= 1, 'the comparison charts');
    assert.deepEqual(await unlabelled(page), [], 'shadow page: every control has a label');
    await checkA11y(page, 'shadow');
    await screenshot(page, 'ui-shadow');
    await page.goto(url + '/models/b2b-saas');
    assert.equal(await page.locator('#in-shadow').count(), 1, 'the model page marks the version in shadow');
    assert.equal(await page.locator(`form.shadow-start[data-version="${draftVersion}"]`).count(), 0, 'the version in shadow is not offered again');
    await checkA11y(page, 'model with a shadow');
    await screenshot(page, 'ui-model-shadow');
    await Promise.all([page.waitForURL(/\/reports\/b2b-saas\/shadow$/), page.click('#in-shadow')]);
    await Promise.all([page.waitForURL(/stopped=1/), page.click('#stop-shadow')]);
    assert.match(await page.textContent('main'), /The shadow was stopped and its scores deleted\./);
    assert.match(await page.textContent('#running ~ p.empty'), /No version of this model runs in shadow\./);
    await checkA11y(page, 'shadow stopped');
    await screenshot(page, 'ui-shadow-stopped');

    // Predictive models: the list names the trained artefact with its
    // out-of-time AUC, and its page shows the training report.
    resp = await page.goto(url + '/predictive');
    assert.equal(resp.status(), 200, 'the predictive page answers 200');
    const artefact = page.locator(`#artefacts tbody tr:has(a[href="/predictive/${predictive}/${predictiveVersion}"])`);
    assert.equal(await artefact.count(), 1, 'the trained artefact is listed');
    const cells = await artefact.locator('td').allTextContents();
    assert.ok(cells.some((c) => c.trim() === predictiveAUC), `the list shows the out-of-time AUC ${predictiveAUC}: ${cells}`);
    assert.match(cells[cells.length - 1], /current/, 'the first activatable version is current');
    assert.deepEqual(await unlabelled(page), [], 'predictive page: every control has a label');
    await checkA11y(page, 'predictive');
    await screenshot(page, 'ui-predictive');
    await Promise.all([page.waitForURL(new RegExp(`/predictive/${predictive}/${predictiveVersion}$`)),
      page.click(`#artefacts a[href="/predictive/${predictive}/${predictiveVersion}"]`)]);
    assert.match(await page.textContent('h1'), new RegExp(predictive));
    assert.ok((await page.textContent('#oot')).trim().startsWith(predictiveAUC), `the report's out-of-time AUC is ${predictiveAUC}`);
    assert.match(await page.textContent('#cv'), /±/, 'the cross-validated AUC with its spread');
    assert.ok(parseInt((await page.textContent('#conversions')).replace(/\D/g, ''), 10) >= 20, 'the conversions learned from');
    assert.match(await page.textContent('#provenance'), /\d/, 'where the leads came from');
    assert.ok((await page.locator('figure.chartbox svg rect').count()) > 0, 'the calibration chart');
    assert.ok((await page.locator('#feature-table tbody tr').count()) > 0, 'the feature table');
    assert.deepEqual(await unlabelled(page), [], 'predictive model page: every control has a label');
    await checkA11y(page, 'predictive model');
    await screenshot(page, 'ui-predictive-model');

    assert.deepEqual(errors, []);
    assert.deepEqual(a11y, [], 'no serious or critical accessibility violations');
  } finally {
    await browser.close();
  }
});

test('web UI: sign in, leads, a lead, reports, the impact preview, the model editor, activation, Polish', only('main'), async () => {
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

    // Find the lead the fix will move, by searching the leads list, and
    // read its score under the active model.
    await page.goto(url + '/leads');
    await page.fill('#f-q', raisedEmail);
    await Promise.all([page.waitForURL(/q=/), page.click('.filters button[type=submit]')]);
    await Promise.all([page.waitForURL(/\/leads\/[^?]/), page.click(`table.leads a[href="/leads/${encodeURIComponent(raisedLead)}"]`)]);
    const before = await displayed(page, 'b2b-saas');
    assert.ok((await page.textContent('#score-b2b-saas ~ ul.explain')).includes('+15 senior title'),
      'the lead earns the senior-title points the edit raises');
    await screenshot(page, 'ui-raised-before');

    // Fix the planted error by making the rule worth more, and save: a new
    // version, not yet active.
    await page.goto(url + '/models/b2b-saas/edit');
    const fixed = (await page.inputValue('#source')).split('\n');
    assert.ok(fixed[bad].includes('points: 15'), `line ${bad + 1} is the senior-title rule's points`);
    fixed[bad] = fixed[bad].replace('points: 15', `points: ${15 + raise}`);
    await page.fill('#source', fixed.join('\n'));
    // The live check answers before the save, so no request is cut off.
    await page.waitForFunction(() => {
      const live = document.getElementById('live');
      return live.textContent !== '' && !live.classList.contains('error');
    });
    await Promise.all([page.waitForLoadState('load'), page.click('#model-form button[type=submit][value=save]')]);
    assert.equal(await page.locator('.diag.error, #diag-list li.error').count(), 0, 'the fixed model has no errors');
    const created = page.locator('.notice a[href^="/models/b2b-saas?version="]');
    assert.equal(await created.count(), 1, 'the save made a b2b-saas version');
    await checkA11y(page, 'model saved');
    await screenshot(page, 'ui-model-saved');

    // Its impact preview: raising points qualifies some and drops nobody.
    await Promise.all([page.waitForURL(/\/models\/b2b-saas\?version=/), created.click()]);
    await Promise.all([page.waitForURL(/preview=1/), page.click('#preview-link')]);
    assert.ok(parseInt(await page.textContent('#preview-newly'), 10) >= 0, 'the preview counts newly qualified leads');
    assert.equal(parseInt(await page.textContent('#preview-dropout'), 10), 0, 'a raise drops no lead out');
    assert.ok((await page.locator('#impact svg rect').count()) > 0, 'the distribution chart');
    await checkA11y(page, 'preview of the fix');
    await screenshot(page, 'ui-preview-fix');

    // Activate it, and follow the job page (it reloads itself while the
    // job runs) to its end.
    await Promise.all([page.waitForURL(/\/jobs\//), page.click('#activate-previewed')]);
    await page.waitForSelector('[data-job][data-running="false"]', { timeout: 120_000 });
    assert.equal(await page.locator('.state-succeeded').count(), 1, `the job succeeded: ${await page.textContent('main')}`);
    await checkA11y(page, 'job');
    await screenshot(page, 'ui-job-done');

    // The lead now shows the new model's score: exactly the raise more.
    await page.goto(url + '/leads/' + encodeURIComponent(raisedLead));
    assert.equal(await displayed(page, 'b2b-saas'), before + raise, `the score rose from ${before} by ${raise}`);
    assert.ok((await page.textContent('body')).includes(`+${15 + raise} senior title`), 'the explanation gives the new points');
    await checkA11y(page, 'lead after activation');
    await screenshot(page, 'ui-raised-after');

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

test('web UI: a sales rep sees the MQL routed to them, accepts it, and cannot open another lead', only('main'), async () => {
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

test('web UI: a team mate of the owner opens the lead; a rep of another team cannot', only('main'), async () => {
  const browser = await launch();
  try {
    // The rep's team mate lists the team's leads, the rep's among them,
    // can narrow them to the rep, and opens the rep's lead.
    const { page, errors } = await signIn(browser, mateEmail);
    assert.match(await page.textContent('#team-hint'), /emea/);
    await page.selectOption('#f-owner', repEmail);
    await Promise.all([page.waitForURL(/owner=/), page.click('.filters button[type=submit]')]);
    const listed = await page.$$eval('table.leads tbody tr a', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(listed.includes('/leads/' + encodeURIComponent(repLead)), `the rep's lead is listed for the team: ${listed}`);
    assert.ok(!listed.includes('/leads/' + encodeURIComponent(otherLead)), 'a lead outside the team is not listed');
    assert.deepEqual(await unlabelled(page), [], 'team leads page: every control has a label');
    await checkA11y(page, 'team leads');
    await screenshot(page, 'ui-team-leads');
    const resp = await page.goto(url + '/leads/' + encodeURIComponent(repLead));
    assert.equal(resp.status(), 200, "a team mate opens the rep's lead");
    assert.ok((await page.textContent('body')).includes(repEmail), 'the page names the owner');
    await checkA11y(page, 'team mate lead');
    await screenshot(page, 'ui-team-lead');
    assert.deepEqual(errors, []);

    // A rep of another team sees neither the lead in the list nor its page.
    const outsider = await signIn(browser, outsiderEmail);
    const theirs = await outsider.page.$$eval('table.leads tbody tr a', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(!theirs.includes('/leads/' + encodeURIComponent(repLead)), 'another team does not list the lead');
    await screenshot(outsider.page, 'ui-outsider-leads');
    assert.deepEqual(outsider.errors, []);
    assert.deepEqual(a11y, []);
    // Chromium logs any 403 as a console error, so this comes last.
    const denied = await outsider.page.goto(url + '/leads/' + encodeURIComponent(repLead));
    assert.equal(denied.status(), 403, "another team's rep is refused the lead");
    assert.ok((await outsider.page.textContent('main')).includes('This lead belongs to someone else.'));
    await screenshot(outsider.page, 'ui-outsider-forbidden');
  } finally {
    await browser.close();
  }
});
