/** Real Prometheus-family daemons for end-to-end tests: started on loopback, ready when /-/ready is. */
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './redis.js';

export interface Daemon {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:port` */
  readonly url: string;
  /** Its stderr so far (for failure messages). */
  readonly logs: string[];
}

export async function startDaemon(command: string, args: string[], port: number): Promise<Daemon> {
  const logs: string[] = [];
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d: Buffer) => logs.push(d.toString()));
  let failed: Error | undefined;
  child.once('error', (err) => (failed = err));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `${command} ready`,
    async () => {
      if (failed) throw failed;
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true;
    },
    30_000,
  );
  return { child, url, logs };
}
