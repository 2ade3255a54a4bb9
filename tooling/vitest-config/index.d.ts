import type { UserConfig } from 'vitest/config';

type ProjectConfig = UserConfig & {
  test: NonNullable<UserConfig['test']> & { include: string[]; exclude?: string[] };
};
export const repoRoot: string;
export function workspaceAliases(): { find: RegExp; replacement: string }[];
export function unitProject(root: string): ProjectConfig;
export function kernelProject(root: string): ProjectConfig;
