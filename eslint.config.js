// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * The house's dependency rules (docs/architecture.md, docs/decisions/0011-the-house.md): data
 * flows ingest → queues → detect/logs → correlate → notify; api reads the stores; service (and
 * the entry points above it: main.ts, demo/) wires everything; nothing else imports service. Shared
 * leaves any folder may use: errors.ts, util/, telemetry/, config/ (types), maintenance/,
 * detectors/ (pure). Each zone below says, for the files under `target`, which folders they
 * may not import, and why; import-x/no-cycle keeps file-level circles out.
 */
const STAGES = ['ingest', 'detect', 'logs', 'correlate', 'notify', 'remediate', 'api', 'web'];
const ROOTS = ['service', 'replay', 'cli', 'demo', 'main.ts'];
const src = (name) => `./src/${name}`;
/** `target` may import none of `names` (folders or files under src/). */
const forbid = (target, names, message) =>
  names.map((name) => ({ target: src(target), from: src(name), message }));

export const zones = [
  {
    target: './detectors',
    from: './src',
    message: 'detectors/ is pure: it imports nothing from src/.',
  },
  ...forbid(
    'queues',
    [...STAGES, 'http', ...ROOTS],
    'queues/ is the contract every stage shares: it imports no stage.',
  ),
  ...forbid(
    'telemetry',
    [...STAGES, 'queues', 'http', ...ROOTS],
    'telemetry/ is a shared leaf: each stage registers its own metrics.',
  ),
  ...forbid(
    'config',
    [...STAGES, 'queues', 'http', 'maintenance', ...ROOTS],
    'config/ is a shared leaf: stage-level checks live in service/config-checks.ts.',
  ),
  ...forbid(
    'http',
    [...STAGES, 'queues', ...ROOTS],
    'http/ serves every stage and knows none (ingest registers itself as a plugin).',
  ),
  ...forbid(
    'maintenance',
    [...STAGES, 'queues', 'http', ...ROOTS],
    'maintenance/ is a shared leaf used by detect, logs and notify.',
  ),
  ...forbid(
    'ingest',
    ['detect', 'logs', 'correlate', 'notify', 'remediate', 'api', 'web', ...ROOTS],
    'ingest talks to later stages only through queues/.',
  ),
  ...forbid(
    'detect',
    ['ingest', 'logs', 'correlate', 'notify', 'remediate', 'api', 'web', 'http', ...ROOTS],
    'detect talks to other stages only through queues/.',
  ),
  ...forbid(
    'logs',
    ['ingest', 'correlate', 'notify', 'remediate', 'api', 'web', 'http', ...ROOTS],
    "logs may use detect's scoring core (log series are scored as metric series are) and queues/, no other stage.",
  ),
  ...forbid(
    'correlate',
    ['ingest', 'detect', 'logs', 'notify', 'remediate', 'api', 'web', 'http', ...ROOTS],
    'correlate takes anomalies through queues/ only.',
  ),
  ...forbid(
    'notify',
    ['ingest', 'detect', 'logs', 'remediate', 'api', 'web', ...ROOTS],
    "notify takes incidents through queues/ and correlate's public modules only.",
  ),
  ...forbid(
    'remediate',
    ['ingest', 'logs', 'notify', 'api', 'web', ...ROOTS],
    "remediate takes incidents through queues/ and correlate's public modules only; it tells receivers through the notify queue.",
  ),
  {
    target: src('remediate'),
    from: src('detect'),
    except: ['./score-board.ts'],
    message:
      "remediate may read detect's score board only (verification: is a series still outside its band?).",
  },
  {
    target: src('remediate'),
    from: src('correlate'),
    except: ['./incidents.ts', './incident-json.ts', './incident-store.ts', './signal-kind.ts'],
    message:
      "remediate may use correlate's public modules only: incidents.ts (types), incident-json.ts, incident-store.ts, signal-kind.ts.",
  },
  {
    target: src('notify'),
    from: src('correlate'),
    except: ['./incidents.ts', './incident-json.ts', './incident-store.ts'],
    message:
      "notify may use correlate's public modules only: incidents.ts (types), incident-json.ts, incident-store.ts.",
  },
  ...forbid(
    'api',
    ['ingest', 'notify', 'web', ...ROOTS],
    'api reads the stores; it starts no stage and takes no data.',
  ),
  ...forbid(
    'web',
    ['ingest', 'logs', 'notify', ...ROOTS],
    "web renders what api's loaders read from the stores; it starts no stage and takes no data.",
  ),
  ...forbid(
    'replay',
    ['service', 'main.ts'],
    'nothing imports service/: it is the composition root.',
  ),
  ...forbid('cli', ['service', 'main.ts'], 'nothing imports service/: it is the composition root.'),
  // demo/ is an entry point of its own (npm run demo), so it may compose as main.ts does.
];

/** The rules above as a config block (test/unit/house-rules.test.ts runs it alone). */
export const houseRules = {
  files: ['src/**/*.ts', 'detectors/**/*.ts'],
  plugins: { 'import-x': importX },
  settings: {
    ...importX.flatConfigs.typescript.settings,
    'import-x/resolver-next': [
      createTypeScriptImportResolver({ project: `${import.meta.dirname}/tsconfig.json` }),
    ],
  },
  rules: {
    'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones }],
    'import-x/no-cycle': ['error', { ignoreExternal: true }],
  },
};

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', '.aiops/', '.scratch/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  houseRules,
  {
    // Detector states are fixed-size Float64Arrays indexed by named slot constants: every index
    // is in range by construction, so `s[SLOT]!` is allowed there.
    files: ['detectors/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
