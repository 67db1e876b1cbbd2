// Playwright-core driver for test/e2e/code-server.sh (real VS Code 1.100.3 in code-server, headless Chromium).
// Env: CS_URL, WS_DIR, OUT_DIR (screenshots). Exit 0 = PASS. Each wait is bounded.
const { chromium } = require('playwright-core');
const fs = require('fs'), path = require('path'), os = require('os');
const [URL_, WS, OUT] = [process.env.CS_URL, process.env.WS_DIR, process.env.OUT_DIR];
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const results = [];
const check = (name, ok, detail = '') => { results.push({ name, ok, detail }); log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ': ' + detail : ''}`); };

/** The webview's content frame (webviews are nested iframes): the frame whose document has #root with `text`. */
async function findWebviewFrame(page, text, timeout) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      try {
        if (await f.locator('#root').count() > 0 && (await f.locator('#root').innerText({ timeout: 500 })).includes(text)) return f;
      } catch { /* frame detached or navigating */ }
    }
    await page.waitForTimeout(250);
  }
  return undefined;
}

/** Polls `probe` until `ok(value)` or `ms` pass; returns the last value. A slow CI machine gets the whole bound, a fast one none of it. */
async function waitUntil(page, probe, ok, ms) {
  const end = Date.now() + ms;
  let v = await probe().catch(() => undefined);
  while (!ok(v) && Date.now() < end) {
    await page.waitForTimeout(250);
    v = await probe().catch(() => undefined);
  }
  return v;
}

async function palette(page, command) {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ timeout: 10000 });
      break;
    } catch (e) {
      // F1 can be swallowed while a webview (the results panel) takes the focus: once more after Escape
      if (attempt > 0) throw e;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
  }
  await input.fill('>' + command);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().waitFor({ timeout: 10000 });
  await page.keyboard.press('Enter');
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1600, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: URL_ }).catch(() => {});
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => log('pageerror:', e.message));
  const cspViolations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text().slice(0, 200)); });
  const status = (t) => page.locator('.statusbar-item', { hasText: t }).first();
  let fatal;
  try {
    await page.goto(`${URL_}/?folder=${encodeURIComponent(WS)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    log('workbench visible');
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'ketamine.study' }).first();
    await row.waitFor({ timeout: 60000 });
    await row.click();
    await page.waitForSelector('.monaco-editor .view-lines', { timeout: 30000 });
    await status(/^Study$/).waitFor({ timeout: 30000 });
    check('language mode is Study', true);
    // the spec is valid: no errors expected; give the server time to start and validate (Problems count)
    await page.waitForTimeout(1500);
    const problems = await page.locator('[id="status.problems"]').first().getAttribute('aria-label').catch(() => '');
    check('no errors on the example spec', !/Errors: [1-9]/.test(problems || ''), problems || '');

    const lensOk = await page.locator('.monaco-editor .codelens-decoration', { hasText: 'Run' }).first().waitFor({ timeout: 60000 }).then(() => true, () => false);
    check('server code lenses "Run | Results" above the model (trusted)', lensOk);
    // more room for the editor and the panel (and the screenshots): hide the primary side bar
    await palette(page, 'View: Toggle Primary Side Bar Visibility').catch((e) => log('could not hide the side bar:', e.message));
    await page.waitForTimeout(300);
    // ---- Study: Run Analysis from the command palette ----
    await page.locator('.monaco-editor .view-lines').first().click({ position: { x: 5, y: 5 } });
    await palette(page, 'Study: Run Analysis');
    log('ran "Study: Run Analysis"');
    const frame = await findWebviewFrame(page, 'Type 3 Tests of Fixed Effects', 120000);
    if (!frame) {
      const toasts = await page.locator('.notification-toast').allInnerTexts().catch(() => []);
      throw new Error('results panel with "Type 3 Tests of Fixed Effects" did not appear; notifications: ' + JSON.stringify(toasts));
    }
    check('results panel shows "Type 3 Tests of Fixed Effects"', true);
    // ---- the sensitivity summary (issue 12): the first thing the panel shows for a spec with sensitivity blocks ----
    const firstTable = await frame.locator('section.table h3').first().innerText();
    const firstSection = await frame.locator('#root > section:not(.diags), #root > div#tables').first().getAttribute('id').catch(() => null);
    check('the sensitivity summary is the first thing the panel shows', firstSection === 'sensitivity' && firstTable.startsWith('Sensitivity Analyses of trajectory'), `first section #${firstSection}, first table "${firstTable}"`);
    const summaryRows = await frame.locator('#sensitivity section.table', { hasText: 'Changed' }).locator('tbody tr').allInnerTexts();
    check('the summary has the model and its three variants side by side, changes marked',
      summaryRows.some((r) => /^age\b/.test(r) && /\*/.test(r)) && (await frame.locator('#sensitivity section.table').first().innerText()).includes('full_dose'), `${summaryRows.length} rows`);
    const forest = await frame.locator('#sensitivity figure[data-kind="forest"]').count();
    const drawnForest = await frame.locator('#sensitivity figure[data-kind="forest"] svg').count();
    check('the forest plot of the estimates follows the summary', forest === 1 && drawnForest > 0, `${forest} forest figure, ${drawnForest} svg`);
    await page.locator('.tabs-container .tab', { hasText: 'Study Results' }).first().click();
    // toggled back only if it was toggled: an unbalanced toggle leaves the panel's group maximized over the spec's tab
    let maximized = await palette(page, 'View: Toggle Maximize Editor Group').then(() => true, (e) => (log('could not maximize:', e.message), false));
    await page.setViewportSize({ width: 1600, height: 1400 });
    await page.waitForTimeout(800);
    await frame.locator('#sensitivity').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(800);
    await page.screenshot({ path: path.join(OUT, 'sensitivity.png') });
    log('screenshot sensitivity.png');
    await page.setViewportSize({ width: 1600, height: 1000 });
    if (maximized) await palette(page, 'View: Toggle Maximize Editor Group').catch((e) => log('could not restore the editor group:', e.message));
    await page.waitForTimeout(500);
    const type3 = frame.locator('section.table', { has: frame.locator('h3', { hasText: 'Type 3 Tests of Fixed Effects' }) }).first();
    const vxa = type3.locator('tbody tr', { hasText: 'visit*age' }).first();
    const cells = await vxa.locator('td').allInnerTexts();
    check('Type 3 row visit*age has F 4.81', cells[0] === 'visit*age' && cells.includes('4.81'), cells.join(' | '));
    const titles = await frame.locator('section.table h3').allInnerTexts();
    for (const t of ['Model Information', 'Dimensions', 'Covariance Structure Selection', 'Covariance Parameter Estimates', 'Fit Statistics',
      'Solution for Fixed Effects', 'Estimates', 'Least Squares Means', 'Differences of Least Squares Means', 'Analysis durability']) {
      check(`table "${t}"`, titles.some((x) => x.startsWith(t)));
    }
    // search box filters rows
    await frame.locator('#search').fill('visit*age');
    const visibleType3 = await waitUntil(page, () => type3.locator('tbody tr:not([hidden])').count(), (n) => n === 1, 5000);
    check('search "visit*age" leaves one Type 3 row', visibleType3 === 1, `${visibleType3} visible`);
    await frame.locator('#search').fill('');
    check('copy buttons (text/CSV/Markdown) on each table', (await type3.locator('button.copy').count()) === 3);
    // Copy as CSV / text: the extension writes the clipboard (vscode.env.clipboard -> the browser's clipboard)
    const clipboard = () => page.evaluate(() => navigator.clipboard.readText()).catch((e) => `(clipboard not readable: ${e.message})`);
    await type3.locator('button.copy[data-format="csv"]').click();
    const csv = await waitUntil(page, clipboard, (t) => t.startsWith('Effect,'), 10000);
    check('Copy as CSV puts the Type 3 table on the clipboard', csv.startsWith('Effect,Num DF,Den DF,F Value,Pr > F') && csv.includes('visit*age,4,47,4.81,.0025'), JSON.stringify(csv.slice(0, 80)));
    await type3.locator('button.copy[data-format="text"]').click();
    const txt = await waitUntil(page, clipboard, (t) => t.startsWith('Type 3'), 10000);
    check('Copy as text is the SAS listing layout', /^Type 3 Tests of Fixed Effects \(trajectory\)\n\nEffect +Num DF/.test(txt), JSON.stringify(txt.slice(0, 60)));
    await type3.scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(OUT, 'results-panel.png') });
    log('screenshot results-panel.png');

    // ---- figures ----
    const figs = frame.locator('#figures figure');
    const nFig = await figs.count();
    const kinds = await figs.evaluateAll((els) => els.map((e) => e.dataset.kind));
    const svgs = await frame.locator('#figures figure svg').count();
    check('figures Fig. 1, 2A, 2B, 3 + residuals', ['observed-means', 'covariate-scatter', 'trajectories', 'analysis-scatter'].every((k) => kinds.includes(k)),
      `${nFig} figures (${kinds.join(', ')}), ${svgs} svg`);
    const drawn = await figs.evaluateAll((els) => els.filter((e) => e.querySelector('svg') && !e.querySelector('pre')).length);
    check('every figure drawn as SVG by the engine renderer', nFig > 0 && drawn === nFig, `${drawn}/${nFig}`);
    // figures screenshot: maximize the panel's editor group and use a taller window so Fig. 1, 2A, 2B and 3 fit
    await page.locator('.tabs-container .tab', { hasText: 'Study Results' }).first().click();
    maximized = await palette(page, 'View: Toggle Maximize Editor Group').then(() => true, (e) => (log('could not maximize:', e.message), false));
    await page.setViewportSize({ width: 1600, height: 1500 });
    await page.waitForTimeout(800);
    if (nFig > 0) await frame.locator('#figures').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(800);
    await page.screenshot({ path: path.join(OUT, 'figures.png') });
    log('screenshot figures.png');
    await page.setViewportSize({ width: 1600, height: 1000 });
    if (maximized) await palette(page, 'View: Toggle Maximize Editor Group').catch((e) => log('could not restore the editor group:', e.message));
    await page.waitForTimeout(500);

    // ---- hover on `age` (after the run: the server's hover may show the age slope at each visit) ----
    await page.locator('.tabs-container .tab', { hasText: 'ketamine.study' }).first().click();
    const line = page.locator('.monaco-editor .view-line', { hasText: 'covariate age' }).first();
    await line.waitFor({ timeout: 10000 });
    // the screen box of the word `age` on that line, measured with a DOM Range over its text (token spans vary)
    const box = await line.evaluate((el) => {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let offset = 0; const full = el.textContent ?? ''; const at = full.search(/\bage\b/);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const len = n.textContent.length;
        if (at >= offset && at + 3 <= offset + len) {
          const r = document.createRange(); r.setStart(n, at - offset); r.setEnd(n, at - offset + 3);
          const b = r.getBoundingClientRect(); return { x: b.x, y: b.y, width: b.width, height: b.height };
        }
        offset += len;
      }
      return null;
    });
    if (!box) throw new Error('could not find the word `age` on the line `covariate age`');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'age' }).first();
    await hover.waitFor({ timeout: 30000 });
    // the hover may first show the column and then the server's results; wait (bounded) for the slopes
    const hoverText = await waitUntil(page, async () => (await hover.innerText()).replace(/\s+/g, ' '), (t) => /slope/i.test(t ?? ''), 10000) ?? '';
    check('hover on `age` shows something about the column', /age/.test(hoverText), hoverText.slice(0, 300));
    const slopes = /slope/i.test(hoverText) && /visit/.test(hoverText);
    check('hover on `age` shows the age slope at each visit (server side, issue #4)', slopes);
    await page.screenshot({ path: path.join(OUT, 'hover.png') });
    log('screenshot hover.png');
    await page.mouse.move(5, 500);
    await page.keyboard.press('Escape');

    // ---- Study: Export Report… (Markdown and HTML; the web save dialog is a quick input with the path) ----
    for (const [label, file, want] of [['Markdown', 'ketamine-report.md', '### Type 3 Tests of Fixed Effects'], ['HTML', 'ketamine-report.html', '<svg']]) {
      await page.locator('.monaco-editor .view-lines').first().click({ position: { x: 5, y: 5 } });
      await palette(page, 'Study: Export Report');
      const item = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
      await item.waitFor({ timeout: 10000 });
      await item.click();
      const pathInput = page.locator('.quick-input-widget input');
      await page.waitForFunction(() => /report/.test(document.querySelector('.quick-input-widget input')?.value ?? ''), null, { timeout: 10000 });
      log('save dialog path:', await pathInput.inputValue());
      await page.keyboard.press('Enter');
      const written = path.join(WS, file);
      // the file may be seen before it is fully written: wait (bounded) for the whole report
      const content = await waitUntil(page, async () => (fs.existsSync(written) ? fs.readFileSync(written, 'utf8') : ''),
        (c) => !!c && c.includes(want) && /<\/html>|Tukey|\n$/.test(c), 30000) ?? '';
      check(`Export Report as ${label} writes ${file}`, content.includes(want) && (content.includes('visit*age') || content.includes('visit\\*age')), `${content.length} chars`);
      await page.keyboard.press('Escape');
      await page.locator('.notification-toast .codicon-notifications-clear, .notification-toast .codicon-close').first().click({ timeout: 2000 }).catch(() => {});
    }

    // ---- study.runOnSave (true in this test's settings): edit, save, the panel shows the new run ----
    const metaBefore = await frame.locator('header .meta').innerText();
    await page.locator('.tabs-container .tab', { hasText: 'ketamine.study' }).first().click();
    await page.locator('.monaco-editor .view-line', { hasText: 'compare visit pairwise' }).first().click();
    await page.keyboard.press('End');
    await page.keyboard.type('  // Tukey-Kramer');
    const staleShown = await frame.locator('#stale').waitFor({ state: 'visible', timeout: 30000 }).then(() => true, () => false);
    check('an edit marks the results out of date (study/resultsChanged stale)', staleShown);
    await page.keyboard.press('Control+S');
    // the new run replaces the panel's header (document version) and clears the stale banner
    const saved = await waitUntil(page, async () => ({ meta: await frame.locator('header .meta').innerText(), stale: await frame.locator('#stale').isVisible() }),
      (v) => v && v.meta !== metaBefore && !v.stale, 90000);
    check('run on save refreshes the Results panel', !!saved && saved.meta !== metaBefore && !saved.stale, `${metaBefore} -> ${saved?.meta}; stale banner: ${saved?.stale}`);

    // ---- Study: Run Model at Cursor (cursor inside `model trajectory { … }`) ----
    await page.locator('.monaco-editor .view-line', { hasText: 'random subject' }).first().click();
    await palette(page, 'Study: Run Model at Cursor');
    const oneModel = await frame.locator('header .meta', { hasText: 'last run: model trajectory' }).waitFor({ timeout: 90000 }).then(() => true, () => false);
    check('Run Model at Cursor runs the model the cursor is in', oneModel, await frame.locator('header .meta').innerText().catch(() => ''));

    // ---- Study: Check All Specs ----
    await page.locator('.monaco-editor .view-lines').first().click({ position: { x: 5, y: 5 } });
    await palette(page, 'Study: Check All Specs');
    const summary = page.locator('.notification-toast', { hasText: 'Study: checked' }).first();
    await summary.waitFor({ timeout: 60000 });
    const sumText = (await summary.innerText()).split('\n')[0];
    check('Check All Specs reports a summary', /checked 1 spec: 0 errors/.test(sumText), sumText);
    check('no Content Security Policy violations in the Results panel', cspViolations.length === 0, cspViolations.join(' || '));
    // control: the panel's CSP refuses an inline script without the nonce, and a network fetch
    await frame.evaluate(() => { const sc = document.createElement('script'); sc.textContent = 'window.__inline = 1'; document.body.append(sc); });
    const fetched = await frame.evaluate(() => fetch('https://registry.npmjs.org/').then(() => 'fetched', (e) => 'blocked: ' + e.message));
    await waitUntil(page, async () => cspViolations.length, (n) => n > 0, 5000);
    const inlineRan = await frame.evaluate(() => window.__inline === 1);
    check('CSP blocks inline scripts and network access in the panel', !inlineRan && fetched.startsWith('blocked') && cspViolations.length > 0,
      `inline ran: ${inlineRan}; fetch: ${fetched}; violations: ${cspViolations.length}`);
  } catch (e) {
    fatal = e.message.split('\n')[0];
    log('FAILED:', fatal);
    await page.screenshot({ path: path.join(process.env.FAIL_DIR || os.tmpdir(), 'code-server-fail.png') }).catch(() => {});
  }
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
  const failed = results.filter((r) => !r.ok);
  log(`${results.length - failed.length}/${results.length} checks passed${failed.length ? `; failed: ${failed.map((r) => r.name).join('; ')}` : ''}${fatal ? `; stopped: ${fatal}` : ''}`);
  process.exit(fatal || failed.length ? 1 : 0);
})();
