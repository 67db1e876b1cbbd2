/**
 * Which data files a spec may read. A `data "…"` path must name a regular file inside the workspace:
 *
 *  - the workspace is the editor's workspace folders (the language server sets them from `initialize`)
 *    or, without them (the CLI, tests) or for a spec outside all of them, the spec's own folder tree;
 *  - `..` escapes, absolute paths elsewhere and links whose target leaves the workspace are refused
 *    (the containment check is on real paths), unless the user allows it (`--allow-outside-workspace`,
 *    the setting `study.allowDataOutsideWorkspace`);
 *  - directories, devices, FIFOs and sockets are refused before anything opens them (a FIFO or
 *    /dev/zero would block or never end), and so are files over MAX_DATA_FILE_BYTES.
 *
 * Nothing may read a data file without `checkDataAccess` first: data-cache.ts (validation, plan,
 * run, hover, completion) and the results service's content hashes call it.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import * as path from 'node:path';

/** Data files larger than this are not read (2 GiB). */
export const MAX_DATA_FILE_BYTES = 2 * 1024 ** 3;

/** How a host (CLI, language server) tells the user to allow data outside the workspace. */
export const ALLOW_HINTS = {
  cli: 'run with --allow-outside-workspace to allow it',
  server: 'set study.allowDataOutsideWorkspace to allow it',
  any: 'run with --allow-outside-workspace / set study.allowDataOutsideWorkspace to allow it',
} as const;

export interface DataAccessOptions {
  /** the workspace folders (absolute paths); none: each spec's own folder tree */
  roots?: string[];
  /** read data files outside the workspace too */
  allowOutside?: boolean;
  /** the end of the message refusing a file outside the workspace: how to allow it */
  allowHint?: string;
  /** the size limit in bytes (MAX_DATA_FILE_BYTES by default) */
  maxBytes?: number;
}

export type DataAccess =
  | { ok: true; path: string; realPath: string; size: number }
  | { ok: false; path: string; reason: 'outside' | 'not-found' | 'not-regular' | 'too-large' | 'unreadable'; error: string };

let policy: Required<Pick<DataAccessOptions, 'allowOutside' | 'allowHint' | 'maxBytes'>> & { roots: string[] } = {
  roots: [],
  allowOutside: false,
  allowHint: ALLOW_HINTS.any,
  maxBytes: MAX_DATA_FILE_BYTES,
};

/** Sets (part of) the policy; what is not given keeps its value. */
export function configureDataAccess(options: DataAccessOptions): void {
  policy = {
    roots: options.roots !== undefined ? options.roots.map((r) => path.resolve(r)) : policy.roots,
    allowOutside: options.allowOutside ?? policy.allowOutside,
    allowHint: options.allowHint ?? policy.allowHint,
    maxBytes: options.maxBytes ?? policy.maxBytes,
  };
}

/** The policy as set (serialisable: the language server passes it to its fit worker). */
export function dataAccessOptions(): Required<DataAccessOptions> {
  return { ...policy, roots: [...policy.roots] };
}

/** Back to the defaults: no workspace folders, nothing outside allowed. */
export function resetDataAccess(): void {
  policy = { roots: [], allowOutside: false, allowHint: ALLOW_HINTS.any, maxBytes: MAX_DATA_FILE_BYTES };
}

/** Real path of a path that may not exist: its deepest existing ancestor resolved, the rest appended. */
function realOrLexical(p: string): string {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(realpathSync(cur), ...rest);
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return p;
      rest.unshift(path.basename(cur));
      cur = parent;
    }
  }
}

function inside(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}

/** The folders a spec in `specFolder` may read from: the workspace folders that hold it, else its own folder. */
export function workspaceRootsFor(specFolder: string): string[] {
  const spec = realOrLexical(path.resolve(specFolder));
  const roots = policy.roots.map((r) => realOrLexical(r));
  if (roots.some((r) => inside(spec, r))) return roots;
  return [spec];
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function size(bytes: number): string {
  for (const [unit, k] of [['GiB', 3], ['MiB', 2], ['KiB', 1]] as const) {
    const v = bytes / 1024 ** k;
    if (v >= 1) return `${Number(v.toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/**
 * May the spec in `specFolder` read the data file at `absPath`? Only stats and real paths: nothing is
 * opened. Outside the workspace the answer does not depend on whether the file exists.
 */
export function checkDataAccess(absPath: string, specFolder: string): DataAccess {
  const file = path.resolve(absPath);
  const real = realOrLexical(file);
  if (!policy.allowOutside) {
    const roots = workspaceRootsFor(specFolder);
    if (!roots.some((r) => inside(real, r))) {
      const shown = real !== file ? `${file} (a link to ${real})` : file;
      return {
        ok: false,
        path: file,
        reason: 'outside',
        error: `data file ${shown} is outside the workspace (${roots.join(', ')}): Study reads data only from the workspace; ${policy.allowHint}`,
      };
    }
  }
  let s: Stats;
  try {
    s = statSync(real);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, path: file, reason: 'not-found', error: `data file not found: ${file}` };
    return { ok: false, path: file, reason: 'unreadable', error: `cannot read data file ${file}: ${(e as Error).message}` };
  }
  if (!s.isFile()) {
    return { ok: false, path: file, reason: 'not-regular', error: `data file ${file} is ${kindOf(s)}, not a regular file: Study reads data only from regular files` };
  }
  if (s.size > policy.maxBytes) {
    return {
      ok: false,
      path: file,
      reason: 'too-large',
      error: `data file ${file} is ${size(s.size)} (${s.size} bytes), over the limit of ${size(policy.maxBytes)} for a data file: it is not read (\`data duckdb "${path.basename(file)}"\` fits an R-side model from it in DuckDB, without reading it into Study)`,
    };
  }
  return { ok: true, path: file, realPath: real, size: s.size };
}
