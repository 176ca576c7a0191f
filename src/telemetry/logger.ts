import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface LoggerSettings {
  readonly level: string;
  /** Human-readable output (development only; needs the dev dependency pino-pretty). */
  readonly pretty?: boolean;
}

/** The root logger: JSON lines on stderr, secrets redacted. */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { name: 'aiops-worker' },
    redact: {
      paths: ['*.password', '*.token', '*.secret', 'headers.authorization'],
      censor: '[redacted]',
    },
  };
  if (settings.pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { destination: 2 } } });
  }
  return pino(options, pino.destination({ dest: 2, sync: false }));
}
