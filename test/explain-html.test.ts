/**
 * `learn-ds explain --html` in a real headless browser: Debian's Chromium driven by playwright-core
 * (no browser downloaded), offline (every request that is not the page itself is refused and
 * counted). The page must draw the failing run's events, move the current event with the scrubber,
 * and show the clients' history with the operation that cannot be placed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderHtml } from '../src/report/explain/html.ts';
import { learnDs, tempDir } from './support/cli.ts';
import { failingRun } from './explain-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const here = existsSync(CHROMIUM);
// Skipped only on a developer's machine without Chromium; in CI, .ci/run installs it and a missing one fails.
const skip = !here && !process.env.CI;
const title = skip ? 'explain --html in a browser: SKIPPED, Chromium is not installed here (apt-get install chromium; CI installs it)' : 'explain --html in headless Chromium';

describe.skipIf(skip)(title, () => {
  let browser: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    if (!here) throw new Error(`Chromium is required here (CI): .ci/run installs it with apt-get (${CHROMIUM})`);
    // A fresh profile each time (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(tempDir('learn-ds-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const file = join(tempDir(), 'run.html');
    writeFileSync(file, renderHtml(failingRun()));
    const url = pathToFileURL(file).href;
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    // Offline: anything but the page itself is refused, and noted.
    await page.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      requests.push(route.request().url());
      return route.abort();
    });
    await page.goto(url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  test("renders the failing run's events in lanes, opened at the violation, with no request and no script error", async () => {
    await expect.poll(() => page.locator('#events tr').count()).toBeGreaterThan(5);
    expect(await page.locator('#lanes .lanelabel').allTextContents()).toEqual(['n1', 'n2', 'n3', 'c1', 'c2']);
    const rows = await page.locator('#events tr').allTextContents();
    expect(rows.join('\n')).toContain('n1 → n3: gossip key=x value=v1 blocked by the partition');
    expect(rows.join('\n')).toContain('n3 → c2: read_ok inReplyTo=1 value=null');
    expect(await page.locator('#current').textContent()).toBe('event 13 of 13 at 60.0 ms: n3 → c2: read_ok inReplyTo=1 value=null (sent 55.0 ms)  (the violation)');
    expect(await page.locator('#lanes .row.current .label').textContent()).toContain('read_ok inReplyTo=1 value=null');
    // Messages as arrows (a drop dashed), fault periods shaded, notes listed.
    expect(await page.locator('#lanes line.arrow').count()).toBeGreaterThanOrEqual(6);
    expect(await page.locator('#lanes line.arrow.drop').count()).toBe(1);
    expect(await page.locator('#lanes rect.fault.partition').count()).toBe(1);
    expect(await page.locator('#lanes rect.fault.pause').count()).toBe(1);
    expect(await page.locator('#lanes rect.fault.down').count()).toBe(1);
    expect(await page.locator('#notes li').allTextContents()).toEqual(['n1 (17.0 ms): stored x=v1']);
    expect(await page.locator('.schedule li').allTextContents()).toEqual(['n3 is cut off from n1 and n2 at 10.0 ms.', 'c2 reads x from n3 at 50.0 ms.']);
    expect(await page.locator('pre.message').textContent()).toContain("the clients' gets and puts are not linearizable");
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('the scrubber moves the current event, with the faults in force, the messages in flight and the notes of that moment', async () => {
    const scrubber = page.locator('#scrubber');
    await scrubber.fill('4');
    await expect.poll(() => page.locator('#current').textContent()).toBe('event 5 of 13 at 20.0 ms: n2 paused until 35.0 ms');
    expect(await page.locator('#lanes .row.current .label').textContent()).toContain('n2 paused until 35.0 ms');
    expect(await page.locator('#events tr.current').textContent()).toContain('n2 paused until 35.0 ms');
    expect(await page.locator('#faults-now li').allTextContents()).toEqual(['partition {n3} | {n1,n2} (10.0 ms – 40.0 ms)', 'n2 paused (20.0 ms – 35.0 ms)']);
    expect(await page.locator('#in-flight li').allTextContents()).toEqual([
      'n1 → c1: write_ok inReplyTo=1 (sent 17.0 ms), arrives 22.0 ms',
      'n1 → n2: gossip key=x value=v1 (sent 17.0 ms, held while n2 was paused), arrives 35.0 ms',
    ]);
    await scrubber.fill('0');
    await expect.poll(() => page.locator('#current').textContent()).toBe('event 1 of 13 at 10.0 ms: partition {n3} | {n1,n2}');
    expect(await page.locator('#notes li').allTextContents()).toEqual(['none yet']);
    // The buttons and keys step too.
    await page.locator('#next-fault').click();
    await expect.poll(() => page.locator('#current').textContent()).toMatch(/^event 5 of 13 /);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => scrubber.inputValue()).toBe('5');
    await page.locator('#to-violation').click();
    await expect.poll(() => scrubber.inputValue()).toBe('12');
    expect(errors).toEqual([]);
  });

  test("the clients' history: operations as bars per client, the longest valid order found, the operation that cannot be placed", async () => {
    expect(await page.locator('#lin').isVisible()).toBe(true);
    expect(await page.locator('#lin rect.op.placed').count()).toBe(1);
    expect(await page.locator('#lin rect.op.stuck').count()).toBe(1);
    const labels = await page.locator('#lin text.optext').allTextContents();
    expect(labels).toEqual(['#1 x: write "v1"', '✗ x: read → null']);
    expect(await page.locator('#lin-summary').textContent()).toContain('Longest valid order found (1 of 2): 1. c1 x: write "v1"  —  cannot be placed after it: c2 x: read → null');
  });
});

describe('learn-ds explain --html', () => {
  test('writes the page beside the record and prints its path when there is no display; the page needs nothing from the network', async () => {
    const dir = tempDir();
    expect((await learnDs(dir, ['start', 'quorum-kv'])).exitCode).toBe(0);
    const failures = join(dir, 'learn-ds', '.learn-ds', 'failures');
    mkdirSync(failures);
    writeFileSync(join(failures, 'quorum-kv.json'), JSON.stringify({ ...failingRun(), exercise: 'quorum-kv' }));
    const r = await learnDs(dir, ['explain', 'quorum-kv', '--html'], { DISPLAY: '', WAYLAND_DISPLAY: '' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('Wrote learn-ds/.learn-ds/failures/quorum-kv.html: open it in a browser (it works offline, as a local file).');
    const html = readFileSync(join(failures, 'quorum-kv.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//);
    expect(html).toContain("default-src 'none'");

    // With a display, the page is opened (xdg-open, here a stand-in that notes what it was given).
    const bin = tempDir();
    const opened = join(bin, 'opened.txt');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`, { mode: 0o755 });
    const shown = await learnDs(dir, ['explain', 'quorum-kv', '--html'], { DISPLAY: ':99', PATH: `${bin}:${process.env.PATH ?? ''}` });
    expect(shown.stdout).toBe('Opened learn-ds/.learn-ds/failures/quorum-kv.html in your browser.');
    await expect.poll(() => existsSync(opened) && readFileSync(opened, 'utf8'), { timeout: 10_000 }).toBe(join(failures, 'quorum-kv.html'));
    // --no-open only writes it.
    expect((await learnDs(dir, ['explain', 'quorum-kv', '--html', '--no-open'], { DISPLAY: ':99', PATH: `${bin}:${process.env.PATH ?? ''}` })).stdout).toMatch(/^Wrote /);
  }, 60_000);
});
