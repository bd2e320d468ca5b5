// A private nginx (Debian's nginx-light) on 127.0.0.1 for tests: started from a config body, stopped and restarted at will.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const NGINX_BIN = '/usr/sbin/nginx';

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for nginx to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface Nginx {
  port: number;
  url: string;
  dir: string;
  start(): Promise<void>;
  /** Fast shutdown (SIGTERM), resolved once the master process exited. */
  stop(): Promise<void>;
}

/**
 * nginx with `http` holding `httpBody` (PORT replaced by its port), its pid, logs and temp files in `dir`.
 * Resolves once it answers `readyPath`.
 */
export async function startNginx(dir: string, httpBody: (port: number) => string, readyPath = '/'): Promise<Nginx> {
  mkdirSync(join(dir, 'temp'), { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process on;
${/* As root, workers would drop to nobody and could not read a private temp folder. */ process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log ${join(dir, 'access.log')};
  client_body_temp_path ${join(dir, 'temp', 'body')};
  proxy_temp_path ${join(dir, 'temp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'temp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'temp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'temp', 'scgi')};
${httpBody(port)}
}
`,
  );
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const nginx: Nginx = {
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    async start() {
      process.off('exit', killOnExit);
      process.on('exit', killOnExit);
      child = spawn(NGINX_BIN, ['-c', conf, '-p', dir, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const current = child;
      exited = new Promise((resolve) => current.once('exit', () => resolve()));
      // Ready when it answers: polling the port is the only signal nginx gives in the foreground.
      for (;;) {
        if (current.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
        try {
          await fetch(`${nginx.url}${readyPath}`, { signal: AbortSignal.timeout(1000) }).then((response) => response.arrayBuffer());
          return;
        } catch {
          await sleep(20);
        }
      }
    },
    async stop() {
      if (child && child.exitCode === null) child.kill('SIGTERM');
      await exited;
      process.off('exit', killOnExit);
    },
  };
  // Held only while nginx runs: a benchmark starts it a dozen times in one process.
  const killOnExit = () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  };
  await nginx.start();
  return nginx;
}
