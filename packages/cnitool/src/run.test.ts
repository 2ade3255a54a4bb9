import { describe, expect, it } from 'vitest';
import { USAGE } from './args.js';
import { run } from './run.js';

async function call(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, env, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
  });
  return { code, stdout, stderr };
}

describe('run (in process, no plugins)', () => {
  it('no command: usage on stderr, exit 1; --help and help: usage on stdout, exit 0', async () => {
    expect(await call([])).toEqual({ code: 1, stdout: '', stderr: USAGE });
    expect(await call(['--help'])).toEqual({ code: 0, stdout: USAGE, stderr: '' });
    expect(await call(['help'])).toEqual({ code: 0, stdout: USAGE, stderr: '' });
    expect((await call(['version'])).stdout).toMatch(/^cnitool \d+\.\d+\.\d+ /);
  });

  it('errors are one line on stderr with exit 1', async () => {
    expect(await call(['validate'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'requires at least 1 arg(s), only received 0\n',
    });
    expect(await call(['add', 'net', '/run/netns/x'], { NETCONFPATH: '/nonexistent/net.d' })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'no net configurations found in /nonexistent/net.d\n',
    });
    expect((await call(['frob'])).stderr).toBe('unknown command "frob" for "cnitool"\n');
    expect((await call(['add', '--ifname'])).stderr).toBe('flag needs an argument: --ifname\n');
  });
});
