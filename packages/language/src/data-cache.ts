/**
 * The data files a spec refers to, read once and cached by absolute path; a file is re-read when its
 * stamp (modification time and size) changes, so validation always sees the file on disk.
 */
import * as path from 'node:path';
import { URI } from 'langium';
import { DataError, dataFileStamp, readDataFile, type Dataset } from '@study/engine';

export type DataLoad =
  | { ok: true; path: string; data: Dataset }
  | { ok: false; path: string; error: string; untrusted?: boolean };

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

/** Reads (or returns the cached) data file at an absolute path. Never throws. */
export function loadData(absPath: string): DataLoad {
  if (!dataAllowed) return { ok: false, path: absPath, error: 'the workspace is not trusted: Study reads no data here', untrusted: true };
  const stamp = dataFileStamp(absPath);
  const hit = cache.get(absPath);
  if (hit && hit.stamp === stamp && stamp !== undefined) return hit.load;
  let load: DataLoad;
  if (stamp === undefined) {
    load = { ok: false, path: absPath, error: `data file not found: ${absPath}` };
  } else {
    try {
      reads++;
      load = { ok: true, path: absPath, data: readDataFile(absPath) };
    } catch (e) {
      const msg = e instanceof DataError ? e.message + (e.line ? ` (line ${e.line})` : '') : String((e as Error)?.message ?? e);
      load = { ok: false, path: absPath, error: msg };
    }
  }
  cache.set(absPath, { stamp, load });
  return load;
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
