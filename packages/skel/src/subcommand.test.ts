import { describe, expect, it } from 'vitest';
import { findSubcommand, type PluginDef } from './skel.js';

const run = (): void => {};
const def: PluginDef = {
  type: 'dhcp',
  versions: ['1.0.0'],
  about: 'x',
  add: () => {},
  del: () => {},
  subcommands: { daemon: run },
};

describe('findSubcommand', () => {
  it('finds the mode after the script (package bin)', () => {
    expect(findSubcommand(def, ['node', 'main.js', 'daemon', '-broadcast'], {})).toEqual({
      run,
      args: ['-broadcast'],
    });
  });
  it('skips the plugin type a shared launcher passes first', () => {
    expect(findSubcommand(def, ['node', 'cni.mjs', 'dhcp', 'daemon', '-x'], {})).toEqual({
      run,
      args: ['-x'],
    });
  });
  it('is not a subcommand when CNI_COMMAND is set, the name is unknown or absent', () => {
    expect(
      findSubcommand(def, ['node', 'cni.mjs', 'dhcp', 'daemon'], { CNI_COMMAND: 'ADD' }),
    ).toBeUndefined();
    expect(findSubcommand(def, ['node', 'cni.mjs', 'dhcp', 'toString'], {})).toBeUndefined();
    expect(findSubcommand(def, ['node', 'cni.mjs', 'dhcp'], {})).toBeUndefined();
    const { subcommands: _, ...plain } = def;
    expect(findSubcommand(plain, ['node', 'm', 'daemon'], {})).toBeUndefined();
  });
});
