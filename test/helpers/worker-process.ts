/** Starts the real CLI (`src/main.ts start`) as a child process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:port` once it listens. */
  readonly url: string;
  readonly logs: string[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

export async function startWorkerProcess(opts: {
  args?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', 'start', '--port', '0', ...(opts.args ?? [])],
    { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`worker did not start:\n${logs.join('\n')}`));
    }, opts.timeoutMs ?? 30_000);
    let buf = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        try {
          const rec = JSON.parse(line) as { msg?: string; address?: string };
          if (rec.msg === 'aiops-worker listening' && rec.address) {
            clearTimeout(timer);
            resolve(rec.address);
          }
        } catch {
          // not a JSON log line
        }
      }
    });
    child.stdout.resume();
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  return { child, url, logs, exited };
}

/** Runs the real CLI (`src/main.ts ARGS`) to its exit, as a user would: exit code and output. */
export async function runWorkerCommand(opts: {
  args: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...opts.args], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const code = await new Promise<number | null>((resolve) =>
    child.once('close', (c) => {
      resolve(c);
    }),
  );
  clearTimeout(timer);
  return { code, stdout, stderr, ms: Date.now() - started };
}
