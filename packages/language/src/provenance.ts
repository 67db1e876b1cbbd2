/**
 * The provenance manifest of a report: the spec's and each data file's SHA-256 (and the rows read), the
 * Study build (version, git commit when Study runs from a checkout), Node, the platform and the time.
 * `study verify report.json` re-runs the spec and compares; a changed data file shows as a changed SHA.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Provenance } from '@study/engine';

export interface ProvenanceOptions {
  /** Study's version (the CLI passes its package.json's); default: the nearest Study package.json's */
  version?: string;
  /** the git commit of Study; default: `git rev-parse HEAD` of the checkout Study runs from, else "unknown" */
  commit?: string;
  /** the time to record (default: now) */
  time?: Date;
}

export function sha256(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function fileSha256(file: string): string | undefined {
  try {
    return sha256(readFileSync(file));
  } catch {
    return undefined;
  }
}

/** The folder of the nearest package.json above this module whose name is one of Study's packages. */
function studyPackage(): { dir: string; version: string } | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
        if (typeof json.name === 'string' && (json.name.startsWith('@study/') || json.name === 'study-vscode' || json.name === 'study-workspace')) {
          return { dir, version: json.version ?? 'unknown' };
        }
      } catch {
        // not JSON: keep looking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

let commitCache: string | undefined;

/** defined by the CLI bundle (packages/cli/scripts/bundle.mjs): the commit it was built from, '' when unknown */
declare const __STUDY_BUILD_COMMIT__: string | undefined;
const buildCommit = typeof __STUDY_BUILD_COMMIT__ === 'string' && /^[0-9a-f]{40}$/.test(__STUDY_BUILD_COMMIT__) ? __STUDY_BUILD_COMMIT__ : undefined;

/**
 * The commit of the Study checkout this code runs from: the one the CLI bundle was built from (from a clean
 * tree), else `git rev-parse HEAD` with "-dirty" appended when tracked files differ from it (the code that
 * ran is then not that commit's), only when the repository's top level is Study's own (it holds
 * packages/cli and packages/engine), never the user's project that happens to contain an installed Study.
 * "unknown" otherwise.
 */
export function studyCommit(): string {
  if (commitCache !== undefined) return commitCache;
  // the bundled CLI knows the commit it was built from (a clean checkout): no git to start
  if (buildCommit) return (commitCache = buildCommit);
  commitCache = 'unknown';
  const pkg = studyPackage();
  if (!pkg) return commitCache;
  try {
    const out = execFileSync('git', ['-C', pkg.dir, 'rev-parse', '--show-toplevel', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
      .trim()
      .split('\n');
    const [top, head] = out;
    if (top && head && /^[0-9a-f]{40}$/.test(head) && existsSync(path.join(top, 'packages', 'engine', 'package.json')) && existsSync(path.join(top, 'packages', 'cli', 'package.json'))) {
      const changed = execFileSync('git', ['-C', top, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
      commitCache = changed === '' ? head : `${head}-dirty`;
    }
  } catch {
    // no git, or not a checkout
  }
  return commitCache;
}

export function studyVersion(): string {
  return studyPackage()?.version ?? 'unknown';
}

/** `sha256` of a data entry: the digest of the bytes the run read (readDataFile's); else the file is read for it */
export function buildProvenance(specFile: string, specText: string, data: { file: string; path: string; rows: number; sha256?: string }[], options: ProvenanceOptions = {}): Provenance {
  return {
    spec: { file: path.resolve(specFile), sha256: sha256(specText) },
    data: data.map((d) => ({ file: d.file, path: d.path, sha256: d.sha256 ?? fileSha256(d.path) ?? 'unreadable', rows: d.rows })),
    study: { version: options.version ?? studyVersion(), commit: options.commit ?? studyCommit() },
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    time: (options.time ?? new Date()).toISOString(),
  };
}
