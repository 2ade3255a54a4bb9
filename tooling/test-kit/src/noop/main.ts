// Entry of the noop test plugin as a process: read stdin once, pick the version list from the
// debug file, then run the skel dispatcher.
import { readFileSync } from 'node:fs';
import { runPlugin } from '../../../../packages/skel/src/index.js';
import { noopPlugin } from './noop.js';

let stdin: Buffer;
try {
  stdin = readFileSync(0);
} catch {
  stdin = Buffer.alloc(0);
}
const out = await runPlugin(noopPlugin(process.env, stdin), process.env, stdin);
if (out.stderr) process.stderr.write(out.stderr);
if (out.stdout) process.stdout.write(out.stdout);
process.exitCode = out.exitCode;
