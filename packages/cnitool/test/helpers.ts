// Run the built cnitool (packages/cnitool/dist/bin/main.js) as a process, forked inside a test
// "host" namespace so that every plugin it starts works there and never on this machine.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestNetNS } from '@cni-internal/test-kit';

export const CNITOOL = join(import.meta.dirname, '..', 'dist', 'bin', 'main.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function cnitool(
  host: TestNetNS | undefined,
  args: string[],
  env: Record<string, string>,
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<Run> {
  if (!existsSync(CNITOOL)) throw new Error(`${CNITOOL} is missing: run pnpm build first`);
  const go = () =>
    spawn(process.execPath, [CNITOOL, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const child = host ? host.run(go) : go();
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`cnitool ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 120_000} ms: ${stderr}`),
      );
    }, opts.timeoutMs ?? 120_000);
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}
