/**
 * A private PostgreSQL server for the tests and the benchmark: Debian's binaries
 * (/usr/lib/postgresql/<version>/bin, the `postgresql` package .ci/run installs), a cluster made by
 * initdb in a temporary folder, started by pg_ctl on a free local port (TCP on 127.0.0.1 only, and a
 * socket in the folder), trust authentication for the local user, stopped and removed by `stop()`.
 * PostgreSQL refuses to run as root: as root the server runs as the `postgres` user (runuser).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * @typedef {object} PostgresServer
 * @property {string} url connection string (no password: trust authentication on the private port)
 * @property {string} dir a folder the server can read (for COPY … FROM 'file')
 * @property {string} user the OS user the server runs as (owner of files it reads)
 * @property {() => void} stop
 */

/** The bin folder of the newest PostgreSQL installed from Debian, or undefined. */
/** @returns {string | undefined} */
export function postgresBin() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(base, versions[0], 'bin') : undefined;
}

/** @returns {Promise<number>} */
async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = /** @type {{ port: number }} */ (s.address()).port;
      s.close(() => resolve(port));
    });
  });
}

/** @returns {Promise<PostgresServer>} */
export async function startPostgres() {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (/usr/lib/postgresql/*/bin): apt-get install postgresql');
  const asRoot = userInfo().uid === 0;
  const user = asRoot ? 'postgres' : userInfo().username;
  const dir = mkdtempSync(join(tmpdir(), 'study-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const run = (/** @type {string} */ cmd, /** @type {string[]} */ args) =>
    asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe', cwd: dir }) : execFileSync(join(bin, cmd), args, { stdio: 'pipe', cwd: dir });
  if (asRoot) {
    const pw = execFileSync('id', ['-u', 'postgres']).toString().trim();
    const gid = execFileSync('id', ['-g', 'postgres']).toString().trim();
    chownSync(dir, Number(pw), Number(gid));
  }
  run('initdb', ['-D', data, '-U', 'study', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_parallel_workers_per_gather=2 -c work_mem=256MB`;
  run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  let stopped = false;
  return {
    url: `postgresql://study@127.0.0.1:${port}/postgres`,
    dir,
    user,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
