#!/usr/bin/env node
/**
 * The composition root and command line: the only module that reads `process.env` and
 * `process.argv`, loads the config, creates the logger and decides the Redis URL.
 */
import { replaySettingsFromConfig } from './replay/replay-from-config.js';
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultConfigPath, packageVersion } from './cli/package-info.js';
import { ConfigError, configNotes, loadConfig } from './config/load.js';
import { redisUrlProblem } from './config/redis-url.js';
import { errorDocsPath, type ErrorCode } from './errors.js';
import type { Config } from './config/schema.js';
import { configJsonSchema, configReference } from './cli/config-doc.js';
import { detectorByName, detectorNames } from './detect/detector-choice.js';
import { CsvError, scoreCsv } from './cli/score-csv.js';
import { mineTemplates, TEMPLATE_FORMATS, type TemplateFormat } from './cli/mine-templates.js';
import { templateOptionsFromConfig } from './logs/log-settings.js';
import { resolveRedis, RedisUnavailableError } from './redis/embedded.js';
import { redactUrl } from './redis/probe.js';
import { waitForRedis } from './redis/wait-for-redis.js';
import { PortUnavailableError, reservePort } from './service/listen.js';
import { replay } from './replay/replay.js';
import { parseRoles, Roles } from './service/roles.js';
import { configIssues } from './service/config-checks.js';
import { startService } from './service/service.js';
import { createLogger } from './telemetry/logger.js';
import { startTracing } from './telemetry/tracing.js';
import { withTimeout } from './util/with-timeout.js';

const env = process.env;

// `aiops-worker score ... | head` closes stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

/** A repeated signal within this long of the first is the same Ctrl-C, not a second one. */
const SECOND_SIGNAL_GRACE_MS = 1000;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function fail(message: string, code?: ErrorCode): never {
  const help = code ? `\n  how to fix: ${errorDocsPath(code)}` : '';
  process.stderr.write(`aiops-worker: ${code ? `${code}: ` : ''}${message}${help}\n`);
  process.exit(1);
}

const configPath = (file: string | undefined): string =>
  file ?? env.AIOPS_CONFIG ?? defaultConfigPath();

/** REDIS_URL, when set, is checked as `redis.url` is: it wins over it at start. */
function envRedisUrlProblem(): string | undefined {
  const problem = env.REDIS_URL ? redisUrlProblem(env.REDIS_URL) : undefined;
  return problem === undefined ? undefined : `REDIS_URL (environment variable): ${problem}`;
}

const noteLines = (notes: readonly string[]): string => notes.map((n) => `\n  note: ${n}`).join('');

/**
 * The config of `file`, or exit 1 with every problem. `withRedisUrl`: the commands that use
 * Redis (start, check-config) also check REDIS_URL, so it is reported with the file's problems.
 */
function configOrExit(file: string | undefined, withRedisUrl = false): Readonly<Config> {
  const path = configPath(file);
  const envProblem = withRedisUrl ? envRedisUrlProblem() : undefined;
  let config: Readonly<Config>;
  try {
    config = loadConfig(path, env, configIssues);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const all =
      envProblem === undefined
        ? err
        : new ConfigError(path, [...err.problems, envProblem], err.notes);
    fail(`${all.message}${noteLines(all.notes)}`, 'AIOPS_ERR_CONFIG_INVALID');
  }
  if (envProblem !== undefined) {
    const err = new ConfigError(path, [envProblem], configNotes(config));
    fail(`${err.message}${noteLines(err.notes)}`, 'AIOPS_ERR_CONFIG_INVALID');
  }
  return config;
}

const port = (text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
};

const program = new Command('aiops-worker')
  .description('Streaming AIOps anomaly detection on Redis and BullMQ')
  .version(packageVersion());

program
  .command('start')
  .description('run the worker: HTTP ingest, /metrics, health and the stage workers')
  .option('-c, --config <file>', 'YAML config file (default: config/default.yaml, or AIOPS_CONFIG)')
  .option('-p, --port <n>', 'port to listen on (default: server.port, 9470)', port)
  .option('--host <host>', 'address to listen on (default: server.host, 127.0.0.1)')
  .option('-r, --role <roles>', `all, or a comma-separated list of ${Roles.join(', ')}`, 'all')
  .option('--log-pretty', 'human-readable logs (needs the dev dependency pino-pretty)')
  .action(
    async (opts: {
      config?: string;
      port?: number;
      host?: string;
      role: string;
      logPretty?: boolean;
    }) => {
      const configFile = configPath(opts.config);
      const config = configOrExit(opts.config, true);
      let roles;
      try {
        roles = parseRoles(opts.role);
      } catch (err) {
        fail((err as Error).message);
      }
      const log = createLogger({ level: config.log.level, pretty: opts.logPretty === true });
      /** A start-up error: the log lines so far are written first, then the one-line reason. */
      const failStart = (message: string, code: ErrorCode): never => {
        log.flush();
        fail(message, code);
      };
      process.on('uncaughtException', (err) => {
        log.fatal({ err }, 'uncaught exception; exiting');
        process.exit(1);
      });
      process.on('unhandledRejection', (err) => {
        log.fatal({ err }, 'unhandled rejection; exiting');
        process.exit(1);
      });
      for (const note of configNotes(config)) log.warn({ config: configFile }, `config: ${note}`);
      // The port first: one in use is an exit before anything touches Redis.
      const host = opts.host ?? config.server.host;
      let reserved;
      try {
        reserved = await reservePort(host, opts.port ?? config.server.port);
      } catch (err) {
        if (err instanceof PortUnavailableError)
          failStart(err.message, 'AIOPS_ERR_SERVER_PORT_UNAVAILABLE');
        throw err;
      }
      const tracing = config.tracing.otlp_endpoint
        ? await startTracing(config.tracing.otlp_endpoint, config.tracing.service_name)
        : undefined;
      let redis;
      if (config.redis.cluster && !(env.REDIS_URL || config.redis.url))
        failStart(
          'redis.cluster is true but no Redis is named: set redis.url (or REDIS_URL) to a node of the cluster',
          'AIOPS_ERR_REDIS_UNAVAILABLE',
        );
      if (config.redis.cluster && !/^rediss?:\/\//.test(env.REDIS_URL || config.redis.url || ''))
        failStart(
          'redis.cluster is true: REDIS_URL must be the redis:// or rediss:// URL of one node of the cluster (not a socket path)',
          'AIOPS_ERR_REDIS_UNAVAILABLE',
        );
      try {
        redis = await resolveRedis({
          configuredUrl: env.REDIS_URL || config.redis.url,
          dataDir: config.redis.data_dir,
        });
      } catch (err) {
        if (err instanceof RedisUnavailableError)
          failStart(err.message, 'AIOPS_ERR_REDIS_UNAVAILABLE');
        throw err;
      }
      log.info(
        {
          version: packageVersion(),
          config: configFile,
          redis: redactUrl(redis.url),
          redisFrom: env.REDIS_URL
            ? 'REDIS_URL'
            : redis.source === 'configured'
              ? 'redis.url'
              : redis.source,
          prefix: config.redis.prefix,
          roles: [...roles],
          listen: `${host.includes(':') ? `[${host}]` : host}:${reserved.port}`,
        },
        `aiops-worker ${packageVersion()} starting: Redis ${redactUrl(redis.url)}, prefix "${config.redis.prefix}", roles ${[...roles].join(',')}, config ${configFile}`,
      );
      try {
        await waitForRedis({
          url: redis.url,
          timeoutMs: config.redis.connect_timeout_ms,
          log,
          cluster: config.redis.cluster,
        });
      } catch (err) {
        if (!(err instanceof RedisUnavailableError)) throw err;
        await redis.stop();
        failStart(err.message, 'AIOPS_ERR_REDIS_UNAVAILABLE');
      }
      let service: Awaited<ReturnType<typeof startService>>;
      try {
        service = await startService({
          config,
          log,
          redisUrl: redis.url,
          roles,
          version: packageVersion(),
          env,
          reservedPort: reserved,
        });
      } catch (err) {
        if (!(err instanceof PortUnavailableError)) throw err;
        await redis.stop();
        failStart(err.message, 'AIOPS_ERR_SERVER_PORT_UNAVAILABLE');
      }
      let stoppingSince: number | undefined;
      const stop = (signal: string): void => {
        if (stoppingSince !== undefined) {
          // Ctrl-C under `npm start` arrives twice at once (from the terminal and forwarded by
          // npm): only a second signal a moment later means "exit now".
          if (Date.now() - stoppingSince < SECOND_SIGNAL_GRACE_MS) return;
          log.warn({ signal }, 'second signal; exiting now');
          process.exit(1);
        }
        stoppingSince = Date.now();
        log.info(
          { signal, deadlineMs: config.shutdown.drain_timeout_ms },
          'shutting down: draining',
        );
        void (async () => {
          const drained = await service.close();
          // The exporter retries an unreachable collector; spans not sent in 2 s are dropped.
          if (tracing)
            await withTimeout(tracing.shutdown(), 2000, 'trace export').catch(() => undefined);
          await redis.stop();
          log.info({ drained }, 'stopped');
          log.flush();
          process.exit(0);
        })();
      };
      process.on('SIGTERM', () => {
        stop('SIGTERM');
      });
      process.on('SIGINT', () => {
        stop('SIGINT');
      });
    },
  );

program
  .command('replay')
  .description(
    'run the detectors over an NDJSON file in event time, without Redis; writes results to --out',
  )
  .option('-c, --config <file>', 'YAML config file')
  .requiredOption('-i, --input <file>', 'NDJSON input, one metric or log record per line')
  .requiredOption('-o, --out <dir>', 'output folder (created if missing)')
  .action(async (opts: { config?: string; input: string; out: string }) => {
    const config = configOrExit(opts.config);
    try {
      const summary = await replay({
        input: opts.input,
        outDir: opts.out,
        ...replaySettingsFromConfig(config),
        report: (line) => process.stderr.write(`${line}\n`),
      });
      process.stderr.write(
        `replay: ${summary.metricSamples} samples of ${summary.series} series, ${summary.logRecords} log records in ${summary.logTemplates} templates, ` +
          `${summary.rejected} lines skipped, ${summary.anomalies} anomalies, ${summary.incidents} incidents -> ${opts.out}\n`,
      );
      if (summary.learning > 0) {
        process.stderr.write(
          `replay: ${summary.learning} of the anomalies came while their service was learning (the first ${(config.correlate.learning_ms / 3_600_000).toFixed(1)} h after its first record, correlate.learning_ms): they open no incident; 0 turns that off\n`,
        );
      }
    } catch (err) {
      fail(`replay failed: ${(err as Error).message}`);
    }
  });

program
  .command('score')
  .description(
    'score a CSV of timestamp,value (NAB style); writes timestamp,value,anomaly_score to stdout',
  )
  .requiredOption(
    '-d, --detector <name>',
    `detector: default, or one of ${detectorNames().join(', ')}`,
  )
  .option('-c, --config <file>', 'YAML config file (detector parameters)')
  .requiredOption('-i, --input <file>', 'CSV input with timestamp and value columns')
  .action(async (opts: { detector: string; config?: string; input: string }) => {
    const config = configOrExit(opts.config);
    let detector;
    try {
      detector = detectorByName(opts.detector, config.detect);
    } catch (err) {
      fail((err as Error).message);
    }
    try {
      const { skipped } = await scoreCsv(opts.input, detector, (chunk) =>
        process.stdout.write(chunk),
      );
      if (skipped > 0)
        process.stderr.write(
          `score: ${skipped} rows not scored (not newer than the previous row, or not a number)\n`,
        );
    } catch (err) {
      fail(err instanceof CsvError ? err.message : `score failed: ${(err as Error).message}`);
    }
  });

program
  .command('templates')
  .description(
    'mine log templates from a file in one pass: prints id,count,template, or with --assignments (always for loghub-csv) LineId,EventTemplate per line',
  )
  .requiredOption(
    '-i, --input <file>',
    'log file: one message per line (lines), one raw log line per line, header and all (raw), or a loghub *_structured.csv',
  )
  .addOption(
    new Option('-f, --format <format>', 'input format').choices(TEMPLATE_FORMATS).default('lines'),
  )
  .option(
    '--assignments',
    "write LineId,EventTemplate: each line's template, LineId its 1-based number",
  )
  .option(
    '--arrival',
    'with --assignments: the template each line got when it arrived, not its final one',
  )
  .option('-c, --config <file>', 'YAML config file (logs.templates settings)')
  .action(
    async (opts: {
      input: string;
      format: TemplateFormat;
      config?: string;
      assignments?: boolean;
      arrival?: boolean;
    }) => {
      const config = configOrExit(opts.config);
      try {
        const summary = await mineTemplates(
          opts.input,
          opts.format,
          templateOptionsFromConfig(config.logs.templates),
          (chunk) => process.stdout.write(chunk),
          (lines, templates) => {
            process.stderr.write(`templates: ${lines} lines, ${templates} templates\n`);
          },
          {
            assignments: opts.assignments === true,
            arrival: opts.arrival === true,
          },
        );
        process.stderr.write(
          `templates: ${plural(summary.lines, 'line')} mined into ${plural(summary.templates, 'template')}\n`,
        );
      } catch (err) {
        fail(err instanceof CsvError ? err.message : `templates failed: ${(err as Error).message}`);
      }
    },
  );

program
  .command('check-config')
  .description('validate a config file and print every problem with its path')
  .argument('<file>', 'YAML config file')
  .action((file: string) => {
    // Placeholders, *_file secrets, REDIS_URL and the stages' checks included: valid here is
    // valid at start.
    const config = configOrExit(file, true);
    const services = Object.keys(config.services);
    process.stdout.write(
      `${file}: valid (${services.length} services: ${services.join(', ') || 'none'})${noteLines(configNotes(config))}\n`,
    );
  });

program
  .command('config-schema')
  .description('print the config JSON Schema (for editor completion)')
  .option('-o, --out <file>', 'write to a file instead of stdout')
  .action((opts: { out?: string }) => {
    const schema = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
    if (opts.out) writeFileSync(opts.out, schema);
    else process.stdout.write(schema);
  });

program
  .command('config-doc')
  .description('print the configuration reference (docs/configuration.md) in Markdown')
  .option('-o, --out <file>', 'write to a file instead of stdout')
  .action((opts: { out?: string }) => {
    const page = configReference();
    if (opts.out) writeFileSync(opts.out, page);
    else process.stdout.write(page);
  });

await program.parseAsync(process.argv);
