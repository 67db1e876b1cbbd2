// Playwright-core driver for the Restricted Mode phase of test/e2e/code-server.sh: the workspace is NOT trusted.
// The extension must still start the language server (syntax checks, keyword hovers) but offer no run commands,
// and the Results panel must say it runs nothing. Env: CS_URL, WS_DIR, OUT_DIR. Exit 0 = PASS.
const { chromium } = require('playwright-core');
const fs = require('fs'), path = require('path'), os = require('os');
const [URL_, WS, OUT] = [process.env.CS_URL, process.env.WS_DIR, process.env.OUT_DIR];
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const results = [];
const check = (name, ok, detail = '') => { results.push({ name, ok, detail }); log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ': ' + detail : ''}`); };
const pending = (name, detail = '') => log(`PENDING (server side) ${name}${detail ? ': ' + detail : ''}`);

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1600, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => log('pageerror:', e.message));
  let fatal;
  try {
    await page.goto(`${URL_}/?folder=${encodeURIComponent(WS)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'ketamine.study' }).first();
    await row.waitFor({ timeout: 60000 });
    await row.click();
    await page.waitForSelector('.monaco-editor .view-lines', { timeout: 30000 });
    const restricted = await page.locator('.statusbar-item', { hasText: /Restricted Mode/ }).first().waitFor({ timeout: 20000 }).then(() => true, () => false);
    check('workspace is in Restricted Mode', restricted);
    await page.locator('.statusbar-item', { hasText: /^Study$/ }).first().waitFor({ timeout: 30000 });
    check('language mode is Study', true);

    // the server runs: hover on the keyword `covariate` (line 11) shows its documentation
    const line = page.locator('.monaco-editor .view-line', { hasText: 'covariate agee' }).first();
    await line.waitFor({ timeout: 10000 });
    const kw = line.locator('span span', { hasText: /^covariate$/ }).first();
    // the server may still be starting: hover again (mouse away and back) until a hover shows, for up to 30 s
    const hover = page.locator('.monaco-hover:not(.hidden)').first();
    let shown = false;
    for (let i = 0; i < 6 && !shown; i++) {
      await page.mouse.move(5, 600);
      await page.waitForTimeout(300);
      const box = await kw.boundingBox(); // (code lenses appear and move the lines)
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      shown = await hover.waitFor({ timeout: 5000 }).then(() => true, () => false);
    }
    const hoverText = shown ? (await hover.innerText()).replace(/\s+/g, ' ') : '(no hover)';
    check('language server answers in Restricted Mode (keyword hover)', /explanatory/.test(hoverText), hoverText.slice(0, 160));
    await page.mouse.move(5, 500);

    // no data read: the data-aware diagnostic ("did you mean 'age'?") must not appear (server side: trusted=false)
    await page.waitForTimeout(1500);
    const problems = (await page.locator('[id="status.problems"]').first().getAttribute('aria-label').catch(() => '')) || '';
    const dataDiag = await page.locator('.monaco-editor .squiggly-error').count();
    if (dataDiag === 0 && !/Errors: [1-9]/.test(problems)) check('no data-aware diagnostics (the server read no data)', true, problems);
    else pending('the server still validates against the data in Restricted Mode (initializationOptions.trusted=false not honoured)', problems);

    // no Run code lenses (the client filters the server's lenses in Restricted Mode)
    const lenses = await page.locator('.monaco-editor .codelens-decoration').allInnerTexts();
    check('no Run/Results code lenses in Restricted Mode', !lenses.some((t) => /Run|Results/.test(t)), lenses.join(' | ') || 'none');

    // no run commands in the palette
    await page.locator('.monaco-editor .view-lines').first().click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10000 });
    await input.fill('>Study:');
    await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 10000 });
    await page.waitForTimeout(500);
    const cmds = (await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map((t) => t.split('\n')[0]);
    log('Study commands offered:', cmds.join(' | '));
    check('no "Run Analysis" / "Run Model at Cursor" / "Export Report" in Restricted Mode',
      !cmds.some((c) => /Run Analysis|Run Model|Export Report/.test(c)), cmds.join(', '));
    // Show Results: the panel opens and says it runs nothing
    const show = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Study: Show Results' }).first();
    await show.click();
    let said = false;
    const end = Date.now() + 20000;
    while (!said && Date.now() < end) {
      for (const f of page.frames()) {
        try {
          if (await f.locator('#root').count() && /Restricted mode/.test(await f.locator('#root').innerText({ timeout: 500 }))) said = true;
          if (said) {
            check('Results panel: restricted, with no Run button', (await f.locator('#run').count()) === 0);
            break;
          }
        } catch { /* detached */ }
      }
      if (!said) await page.waitForTimeout(250);
    }
    check('Results panel says Restricted mode, reads no data and runs nothing', said);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(OUT, 'restricted-mode.png') });
  } catch (e) {
    fatal = e.message.split('\n')[0];
    log('FAILED:', fatal);
    await page.screenshot({ path: path.join(process.env.FAIL_DIR || os.tmpdir(), 'code-server-untrusted-fail.png') }).catch(() => {});
  }
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
  const failed = results.filter((r) => !r.ok);
  log(`restricted mode: ${results.length - failed.length}/${results.length} checks passed${failed.length ? `; failed: ${failed.map((r) => r.name).join('; ')}` : ''}${fatal ? `; stopped: ${fatal}` : ''}`);
  process.exit(fatal || failed.length ? 1 : 0);
})();
