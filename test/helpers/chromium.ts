/**
 * Debian's Chromium driven by playwright-core: never a downloaded browser. The flags keep it
 * off the network (this machine's is closed); the profile is a fresh temporary one.
 */
import { chromium, type Browser } from 'playwright-core';
import { requireBinary } from './binaries.js';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  requireBinary('chromium', 'chromium');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    // playwright runs Chromium on a fresh temporary profile of its own and removes it on close.
    close: () => browser.close(),
  };
}
