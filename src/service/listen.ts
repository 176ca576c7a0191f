/**
 * The HTTP port is taken before anything else happens: a port in use (or one the process may
 * not bind, or an address this host does not have) is one clear line and exit 1 before the
 * worker connects to Redis or writes a queue key. The reservation holds the port while Redis
 * is reached and the stages start, and is let go just before the server listens on it.
 */
import { createServer, type Server } from 'node:net';

/** The port could not be bound; the message says why and what to do. */
export class PortUnavailableError extends Error {
  override name = 'PortUnavailableError';
}

export interface ReservedPort {
  readonly host: string;
  /** The port held (the one the system chose when 0 was asked). */
  readonly port: number;
  /** Lets go of the port, for the server to listen on it. */
  release(): Promise<void>;
}

const HOW =
  'stop the other process, or give another port: --port N, AIOPS_SERVER__PORT=N or server.port';

/** The message for a failed listen on `host:port`, or undefined when `err` is not a listen error. */
export function listenProblem(err: unknown, host: string, port: number): string | undefined {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the port is in use by another process (another aiops-worker?); ${HOW}`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (a port below 1024 needs privileges); give a port of 1024 or above: --port N, AIOPS_SERVER__PORT=N or server.port`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: this host has no address ${host}; give one it has, or 0.0.0.0 for all: --host H, AIOPS_SERVER__HOST=H or server.host`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where}: the host name ${host} does not resolve; give an address: --host H, AIOPS_SERVER__HOST=H or server.host`;
    default:
      return undefined;
  }
}

/** Binds `host:port` and holds it; throws PortUnavailableError when it cannot. */
export async function reservePort(host: string, port: number): Promise<ReservedPort> {
  const server: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    const problem = listenProblem(err, host, port);
    throw problem === undefined ? err : new PortUnavailableError(problem, { cause: err });
  });
  const address = server.address();
  return {
    host,
    port: typeof address === 'object' && address ? address.port : port,
    release: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}
