import { fileURLToPath } from 'node:url';
import { run } from './run.js';

const ac = new AbortController();
process.once('SIGTERM', () => ac.abort(new Error('cnitool: terminated')));
const code = await run(
  process.argv.slice(2),
  process.env,
  { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) },
  { self: [process.execPath, fileURLToPath(import.meta.url)], signal: ac.signal },
);
process.exitCode = code;
