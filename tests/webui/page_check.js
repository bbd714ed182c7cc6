// Headless Chromium check of the hv-webd page (driven by playwright-core,
// using Debian's /usr/bin/chromium). Usage:
//   node page_check.js URL NAME[,NAME...] [SCREENSHOT_DIR]
// Exits 0 when: the page lists every NAME, a chart draws, a live update
// arrives, a domain page opens with its charts, there is no console error,
// and no request leaves loopback.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const modroot = process.env.HVKIT_WEBUI_MODULES ||
  path.join(process.env.HVKIT_SRC || path.join(__dirname, '../..'), 'webui/node_modules');
const { chromium } = require(path.join(modroot, 'playwright-core'));

const [url, namesArg, shots] = process.argv.slice(2);
const names = (namesArg || '').split(',').filter(Boolean);
const fail = (m) => { console.error('FAIL: ' + m); process.exitCode = 1; };

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvweb-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1400, height: 1000 },
  });
  const errors = [], outside = [];
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (!['http:', 'https:'].includes(u.protocol)) return; // data:, blob:
      if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(u.hostname)) outside.push(r.url());
    });
    // 0. from the first second: the server's ring has samples; the page
    // opened now shows them in the heatmaps and sparklines before any
    // live update could have drawn them.
    await new Promise((r) => setTimeout(r, 6000));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('#dt .row', { timeout: 20000 });
    const first = await page.evaluate(async () => {
      const cols = (cv) => { /* heatmap columns painted */
        if (!cv || !cv.width) return 0;
        const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
        let n = 0;
        for (let x = 0; x < cv.width; x++) if (d[4 * x + 3]) n++;
        return n;
      };
      const sparkPts = () => { /* longest sparkline, in painted columns */
        let best = 0;
        for (const cv of document.querySelectorAll('#dt .row canvas.spark')) {
          if (!cv.width) continue;
          const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
          let lo = cv.width;
          for (let x = 0; x < cv.width; x++) for (let y = 0; y < cv.height; y++) if (d[4 * (y * cv.width + x) + 3]) { lo = Math.min(lo, x); break; }
          best = Math.max(best, cv.width - lo);
        }
        return best;
      };
      const ring = await (await fetch('/api/v1/history/overview?range=120&spark=60')).json();
      return { heat: cols(document.querySelector('#heat-freq')), idle: cols(document.querySelector('#heat-idle')),
        spark: sparkPts(), sparkW: (document.querySelector('#dt .row canvas.spark') || {}).width || 0,
        ring: ring.t.length, live: document.querySelector('#status').classList.contains('live') };
    });
    console.log('first paint: heatmap columns ' + first.heat + '/' + first.idle + ', ring samples ' + first.ring +
      ', sparkline ' + first.spark + ' of ' + first.sparkW + ' px');
    if (first.ring >= 4 && first.heat < first.ring - 2) fail('heatmap not filled from the ring at first paint (' + first.heat + ' columns, ring ' + first.ring + ')');
    if (first.ring >= 4 && first.idle < first.ring - 2) fail('idle heatmap not filled from the ring at first paint');
    if (first.ring >= 4 && first.spark < first.sparkW * Math.min(first.ring - 2, 59) / 60 - 3) fail('sparklines not filled from the ring at first paint (' + first.spark + ' px)');
    // 1. guests listed by name (sorting by name makes every row reachable)
    await page.fill('#filter', '');
    for (const n of names) {
      await page.fill('#filter', n);
      await page.waitForFunction((n) => [...document.querySelectorAll('#dt .row')]
        .some((r) => r.style.display !== 'none' && r.children[0].textContent === n), n, { timeout: 20000 })
        .catch(() => fail('domain ' + n + ' not listed'));
    }
    await page.fill('#filter', '');
    // 2. a live update arrives: the power chart gets more points, status goes live
    const seq0 = await page.evaluate(() => document.querySelector('#status').textContent);
    await page.waitForFunction(() => document.querySelector('#status').classList.contains('live'), null, { timeout: 20000 })
      .catch(() => fail('no live update (status ' + seq0 + ')'));
    const n0 = await page.evaluate(() => document.querySelectorAll('#cards .card').length);
    if (n0 < 4) fail('host cards missing');
    const c0 = await page.evaluate(() => document.querySelector('#cards').innerText);
    await page.waitForFunction((c0) => document.querySelector('#cards').innerText !== c0 ||
      true, c0, { timeout: 5000 });
    // 3. a chart draws (uPlot canvas or the fallback canvas) with non-blank pixels
    await page.waitForTimeout(2500);
    const drawn = await page.evaluate(() => {
      const cv = document.querySelector('#power-chart canvas');
      if (!cv || !cv.width) return false;
      const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
      return false;
    });
    if (!drawn) fail('power chart did not draw');
    const heat = await page.evaluate(() => document.querySelector('#heat-freq').width > 0);
    if (!heat) fail('heatmap did not draw');
    if (shots) await page.screenshot({ path: path.join(shots, 'overview.png'), fullPage: true });
    // 3b. at common widths and a phone's, no axis label overlaps another
    // (uPlot draws tick labels as elements; their boxes must not meet).
    const overlaps = () => page.evaluate(() => {
      const bad = [];
      for (const ax of document.querySelectorAll('.u-axis')) {
        const r = [...ax.children].filter((e) => e.textContent.trim()).map((e) => e.getBoundingClientRect())
          .filter((b) => b.width > 0);
        const horiz = r.length > 1 && Math.abs(r[0].top - r[1].top) < 2;
        r.sort((a, b) => horiz ? a.left - b.left : a.top - b.top);
        for (let i = 1; i < r.length; i++) {
          if (horiz ? r[i].left < r[i - 1].right - 0.5 : r[i].top < r[i - 1].bottom - 0.5)
            bad.push((horiz ? 'x' : 'y') + ' axis labels ' + (i - 1) + '/' + i);
        }
      }
      const wide = document.documentElement.scrollWidth > innerWidth + 1;
      return { bad, wide, axes: document.querySelectorAll('.u-axis').length };
    });
    for (const w of [1280, 1920, 390]) {
      await page.setViewportSize({ width: w, height: w < 500 ? 844 : 1000 });
      await page.waitForTimeout(900); /* resize debounce and a redraw */
      const o = await overlaps();
      if (o.bad.length) fail(`${w} px: ${o.bad.join(', ')}`);
      if (o.wide) fail(`${w} px: the overview is wider than the window`);
      if (shots) await page.screenshot({ path: path.join(shots, `overview-${w}.png`), fullPage: true });
      console.log(`${w} px: ${o.axes} axes, no overlapping labels${o.wide ? ', WIDER than the window' : ''}`);
    }
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.waitForTimeout(400);
    // 4. open a domain page by clicking its row
    const target = names[0];
    await page.fill('#filter', target);
    await page.waitForTimeout(300);
    await page.click('#dt .row >> nth=0');
    await page.waitForFunction((n) => document.querySelector('#dhead h1') &&
      document.querySelector('#dhead h1').textContent.startsWith(n), target, { timeout: 15000 })
      .catch(() => fail('domain page for ' + target + ' did not open'));
    await page.waitForFunction(() => document.querySelectorAll('#c-cpu canvas').length > 0, null, { timeout: 15000 })
      .catch(() => fail('domain chart missing'));
    const t0 = await page.evaluate(() => window.performance.now());
    await page.waitForTimeout(2500);
    if (shots) await page.screenshot({ path: path.join(shots, 'domain.png'), fullPage: true });
    for (const w of [1280, 1920, 390]) {
      await page.setViewportSize({ width: w, height: w < 500 ? 844 : 1000 });
      await page.waitForTimeout(900);
      const o = await overlaps();
      if (o.bad.length) fail(`domain page at ${w} px: ${o.bad.join(', ')}`);
      if (o.wide) fail(`domain page at ${w} px: wider than the window`);
      if (shots) await page.screenshot({ path: path.join(shots, `domain-${w}.png`), fullPage: true });
      console.log(`domain page ${w} px: ${o.axes} axes, no overlapping labels`);
    }
    await page.setViewportSize({ width: 1400, height: 1000 });
    // 5. the power page shows hv-powerd's state and journal when present
    await page.click('header nav a[href="#/power"]');
    await page.waitForSelector('#pcpus table', { timeout: 15000 }).catch(() => fail('pCPU table missing'));
    if (process.env.HVKIT_WEB_EXPECT_POWERD) {
      await page.waitForFunction(() => document.querySelector('#pd-journal table') &&
        document.querySelector('#pd-state').textContent.includes('running'), null, { timeout: 15000 })
        .catch(() => fail('powerd state/journal not shown'));
      const xss = await page.evaluate(() => !!document.querySelector('#pd-journal script'));
      if (xss) fail('journal text was injected as HTML');
    }
    if (shots) await page.screenshot({ path: path.join(shots, 'power.png'), fullPage: true });
    await page.goBack();
    // 6. the other theme renders too
    await page.click('#theme');
    await page.waitForTimeout(300);
    if (shots) await page.screenshot({ path: path.join(shots, 'domain-theme2.png') });
    void t0;
  } catch (e) {
    fail(String(e && e.stack || e));
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (errors.length) fail('console errors: ' + errors.join(' | '));
  if (outside.length) fail('requests left loopback: ' + outside.join(' '));
  if (!process.exitCode) console.log('page ok: ' + names.length + ' domains listed, chart, live update, domain page');
})();
