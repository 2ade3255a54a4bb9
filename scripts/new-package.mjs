#!/usr/bin/env node
// Create a package with the repository's standard shape.
//   node scripts/new-package.mjs lib <dir> <@cni/name> "<description>" [dep ...]
//   node scripts/new-package.mjs plugin <type> "<description>" [dep ...]
// A plugin lives in packages/plugins/<type>, is named @cni/plugin-<type>, exports its
// verbs from src/index.ts and has a bin `cni-<type>` built from src/main.ts.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const [kind, ...rest] = process.argv.slice(2);
let dir;
let name;
let description;
let deps;
if (kind === 'lib') {
  [dir, name, description, ...deps] = rest;
  dir = join(root, 'packages', dir);
} else if (kind === 'plugin') {
  const [type, desc, ...d] = rest;
  dir = join(root, 'packages', 'plugins', type);
  name = `@cni/plugin-${type}`;
  description = desc;
  deps = d;
} else {
  console.error(
    'usage: new-package.mjs lib <dir> <name> <description> [deps] | plugin <type> <description> [deps]',
  );
  process.exit(2);
}
if (existsSync(join(dir, 'package.json'))) {
  console.error(`${dir} exists`);
  process.exit(1);
}
const rel = relative(root, dir);
const up = relative(dir, root);
const isPlugin = kind === 'plugin';
const type = isPlugin ? rest[0] : undefined;
const pkg = {
  name,
  version: '0.1.0',
  description,
  license: 'Apache-2.0',
  type: 'module',
  ...(isPlugin ? { os: ['linux'] } : {}),
  engines: { node: '>=20.19' },
  sideEffects: false,
  exports: {
    '.': { types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  main: './dist/index.js',
  types: './dist/index.d.ts',
  ...(isPlugin ? { bin: { [`cni-${type}`]: './dist/bin/main.js' } } : {}),
  files: ['dist', 'README.md', 'CHANGELOG.md'],
  publishConfig: { access: 'public', provenance: true },
  repository: { type: 'git', url: 'git+https://github.com/cni-ts/cni-ts.git', directory: rel },
  keywords: ['cni', 'container', 'networking', ...(isPlugin ? ['cni-plugin', type] : [])],
  scripts: {
    build: 'tsup',
    typecheck: 'tsc --noEmit',
    test: 'vitest run',
    'check:pkg': `bash ${up}/scripts/check-pkg.sh`,
  },
  dependencies: Object.fromEntries(
    (deps ?? []).map((d) => [d, d.startsWith('@cni/') ? 'workspace:^' : 'latest']),
  ),
  devDependencies: {
    '@cni-internal/tsconfig': 'workspace:*',
    '@cni-internal/tsup-config': 'workspace:*',
    '@cni-internal/vitest-config': 'workspace:*',
    '@cni-internal/test-kit': 'workspace:*',
  },
};
mkdirSync(join(dir, 'src'), { recursive: true });
mkdirSync(join(dir, 'test'), { recursive: true });
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  join(dir, 'tsconfig.json'),
  `${JSON.stringify({ extends: '@cni-internal/tsconfig/base.json', include: ['src', 'test'] }, null, 2)}\n`,
);
writeFileSync(
  join(dir, 'tsup.config.ts'),
  `import { cniPackage } from '@cni-internal/tsup-config';\n\nexport default cniPackage(${
    isPlugin ? "{ bin: { main: 'src/main.ts' } }" : ''
  });\n`,
);
writeFileSync(
  join(dir, 'vitest.config.ts'),
  `import { kernelProject, unitProject } from '@cni-internal/vitest-config';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { projects: [unitProject(import.meta.dirname), kernelProject(import.meta.dirname)] },
});
`,
);
console.log(`created ${rel}`);
