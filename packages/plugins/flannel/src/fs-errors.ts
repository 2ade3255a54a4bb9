// File system errors in Go's os.PathError wording: `<op> <path>: <text>`.

const TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'file exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EIO: 'input/output error',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
};

export const errnoCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;

/** `open /run/flannel/subnet.env: no such file or directory`; a read of a directory says `read`. */
export function fsErrorText(op: string, path: string, e: unknown): string {
  const code = errnoCode(e);
  const text = (code && TEXT[code]) ?? (e instanceof Error ? e.message : String(e));
  return `${code === 'EISDIR' && op === 'open' ? 'read' : op} ${path}: ${text}`;
}
