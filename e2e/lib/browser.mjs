import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const baseUrl = process.env.E2E_BASE_URL ?? 'http://localhost:3000';
export const backendUrl = process.env.E2E_BACKEND_URL ?? 'http://localhost:7007';
export const artifactsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
mkdirSync(artifactsDir, { recursive: true });

/** Debian's Chromium; never a browser downloaded by a test tool. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Opens the portal and signs in through the guest provider, as a person would. */
export async function signInAsGuest(page) {
  await page.goto(baseUrl);
  await page.getByRole('button', { name: 'Enter' }).click();
  try {
    await page.getByRole('link', { name: 'Virtual Machines' }).waitFor();
  } catch (error) {
    // What the page showed instead is the first thing anyone debugging this wants.
    await screenshot(page, 'sign-in-failed').catch(() => undefined);
    throw error;
  }
}

/**
 * Saves a screenshot of the whole page. Backstage pages scroll inside their own <main>, so
 * Playwright's fullPage alone stops at the viewport: the viewport is grown to the content first.
 */
export async function screenshot(page, name) {
  const path = join(artifactsDir, `${name}.png`);
  const viewport = page.viewportSize();
  const height = await page.evaluate(() =>
    Math.max(
      document.documentElement.scrollHeight,
      ...Array.from(document.querySelectorAll('main'), el => el.scrollHeight),
    ),
  );
  const grow = viewport && height > viewport.height;
  if (grow) await page.setViewportSize({ width: viewport.width, height: Math.min(height, 10_000) });
  try {
    await page.screenshot({ path, fullPage: true });
  } finally {
    if (grow) await page.setViewportSize(viewport);
  }
  return path;
}
