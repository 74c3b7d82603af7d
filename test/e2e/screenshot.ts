/**
 * Screenshot a running app page with the e2e Chromium: `npx tsx test/e2e/screenshot.ts [url] [out.png]`
 * (defaults: http://localhost:3000/, test-results/notebook.png). Waits for the "Model & device" cell to
 * settle and prints the backend it shows, so a manual check of `npm start` is one command.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { launch } from './browser';

const url = process.argv[2] ?? 'http://localhost:3000/';
const out = process.argv[3] ?? 'test-results/notebook.png';
const browser = await launch();
try {
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.on('console', (m) => m.type() === 'error' && console.error(`console: ${m.text()}`));
  await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  await page.waitForSelector('section.cell[data-state="ready"], section.cell[data-state="error"]', { timeout: 120_000 });
  const backend = await page.textContent('[data-testid="backend"]');
  const reason = await page.textContent('[data-testid="backend-reason"]');
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`${url}: backend=${backend}; reason=${reason}; screenshot ${out}`);
} finally {
  await browser.close();
}
