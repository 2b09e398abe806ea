import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');
const WEB = join(ROOT, 'web');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `work` under a folder lock shared by every Jest worker (both database projects run these tests). */
function withLock<T>(name: string, work: () => T): T {
  const lock = join(tmpdir(), `appnest-${name}.lock`);
  for (let waited = 0; ; waited += 500) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const held = statSync(lock, { throwIfNoEntry: false });
      if (waited > 20 * 60_000 || (held && Date.now() - held.mtimeMs > 20 * 60_000)) rmSync(lock, { recursive: true, force: true });
      sleep(500);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Debian's Chromium, installed with apt-get when missing; returns why the browser tests must skip, or undefined. */
export function chromiumUnavailable(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.getuid?.() !== 0) return `${CHROMIUM} is missing and apt-get needs root: install the Debian package "chromium".`;
  return withLock('chromium', () => {
    if (existsSync(CHROMIUM)) return undefined;
    process.stderr.write(`${CHROMIUM} is missing: installing Debian's chromium with apt-get (once).\n`);
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 10 * 60_000 });
      execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'ignore', env, timeout: 15 * 60_000 });
    } catch (err) {
      return `apt-get install chromium failed (${(err as Error).message.split('\n')[0]})`;
    }
    return existsSync(CHROMIUM) ? undefined : `apt-get install chromium finished but ${CHROMIUM} is still missing`;
  });
}

function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

/** Builds the SPA (web/dist) with Vite when it is missing or older than its sources; returns a reason when that fails. */
export function webBuildUnavailable(): string | undefined {
  const index = join(WEB, 'dist', 'index.html');
  const sources = [join(WEB, 'src'), join(WEB, 'index.html'), join(WEB, 'vite.config.mts')];
  const stale = () => !existsSync(index) || Math.max(...sources.map(newestChange)) > statSync(index).mtimeMs;
  if (!stale()) return undefined;
  return withLock('web-build', () => {
    if (!stale()) return undefined;
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', join(WEB, 'vite.config.mts'), '--logLevel', 'warn'], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 5 * 60_000,
      });
      return undefined;
    } catch (err) {
      return `vite build of web/ failed: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).slice(0, 500)}`;
    }
  });
}

/** A headless Chromium with a fresh profile; `close()` removes the profile. */
export async function launchBrowser(): Promise<BrowserContext & { dispose(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'appnest-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  return Object.assign(context, {
    async dispose() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  });
}

/** Why the browser tests cannot run here (printed once), or undefined when they can. */
export function browserTestsUnavailable(): string | undefined {
  const reason = webBuildUnavailable() ?? chromiumUnavailable();
  if (reason) process.stderr.write(`Browser tests skipped: ${reason}\n`);
  return reason;
}
