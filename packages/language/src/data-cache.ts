/**
 * The data files a spec refers to, read once and cached by absolute path; a file is re-read when its
 * stamp (real path, modification time and size) changes, so validation always sees the file on disk.
 * Every read first passes the data-access policy (validation/data-access.ts): a regular file inside
 * the workspace, under the size limit. The check runs on every call, also when the cache has the file.
 */
import * as path from 'node:path';
import { URI } from 'langium';
import { DataError, dataFileStamp, readDataFile, type Dataset } from '@study/engine';
import { checkDataAccess, type DataAccess } from './validation/data-access.js';

export type DataLoad =
  | { ok: true; path: string; data: Dataset }
  | { ok: false; path: string; error: string; untrusted?: boolean; refused?: Exclude<DataAccess, { ok: true }>['reason'] };

interface CacheEntry {
  stamp: string | undefined;
  load: DataLoad;
}

const cache = new Map<string, CacheEntry>();
let reads = 0;

/** Number of times a data file was actually read (for tests of the cache). */
export function dataReadCount(): number {
  return reads;
}

/** Forget cached data (all files, or one absolute path). */
export function clearDataCache(absPath?: string): void {
  if (absPath) cache.delete(absPath);
  else cache.clear();
}

let dataAllowed = true;

/**
 * In an untrusted workspace (VS Code's Restricted Mode) the server reads no data file at all: a CSV
 * from an untrusted source is not opened, and nothing that needs it runs.
 */
export function allowDataAccess(allowed: boolean): void {
  dataAllowed = allowed;
  if (!allowed) cache.clear();
}

export function dataAccessAllowed(): boolean {
  return dataAllowed;
}

/**
 * Reads (or returns the cached) data file at an absolute path, for a spec in `specFolder` (the
 * workspace rule falls back to that folder's tree; default: the file's own folder is not trusted, the
 * working directory is). Never throws.
 */
export function loadData(absPath: string, specFolder: string = process.cwd()): DataLoad {
  if (!dataAllowed) return { ok: false, path: absPath, error: 'the workspace is not trusted: Study reads no data here', untrusted: true };
  const access = checkDataAccess(absPath, specFolder);
  if (!access.ok) {
    return { ok: false, path: absPath, error: access.error, ...(access.reason !== 'not-found' && access.reason !== 'unreadable' ? { refused: access.reason } : {}) };
  }
  const fileStamp = dataFileStamp(access.realPath);
  const stamp = fileStamp === undefined ? undefined : `${access.realPath}|${fileStamp}`;
  const hit = cache.get(absPath);
  if (hit && hit.stamp === stamp && stamp !== undefined) return hit.load;
  let load: DataLoad;
  if (stamp === undefined) {
    load = { ok: false, path: absPath, error: `data file not found: ${absPath}` };
  } else {
    try {
      reads++;
      load = { ok: true, path: absPath, data: readDataFile(access.realPath) };
    } catch (e) {
      const msg = e instanceof DataError ? e.message + (e.line ? ` (line ${e.line})` : '') : String((e as Error)?.message ?? e);
      load = { ok: false, path: absPath, error: msg };
    }
  }
  cache.set(absPath, { stamp, load });
  return load;
}

/** The data file a spec names (`data "file.csv"`), resolved against the spec's folder and read under the policy. */
export function loadSpecData(uri: URI | string | undefined, written: string): DataLoad {
  return loadData(resolveDataPath(uri, written), documentFolder(uri));
}

/** The folder a document lives in (for resolving `data "file.csv"`), or the working directory. */
export function documentFolder(uri: URI | string | undefined): string {
  if (!uri) return process.cwd();
  const u = typeof uri === 'string' ? URI.parse(uri) : uri;
  if (u.scheme === 'file') return path.dirname(u.fsPath);
  return process.cwd();
}

/** Absolute path of a data file written in a spec, resolved against the spec's folder. */
export function resolveDataPath(uri: URI | string | undefined, written: string): string {
  return path.resolve(documentFolder(uri), written);
}
