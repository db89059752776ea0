// Lint: eslint's and typescript-eslint's recommended rules, type-aware where the code is
// TypeScript (floating promises and misused promises matter in a library whose timers and
// listeners must never throw into the process). Formatting is prettier's job: its config
// switches off every rule it would contradict.
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import { createNodeResolver, importX } from 'eslint-plugin-import-x'
import globals from 'globals'
import tseslint from 'typescript-eslint'

// The floors of src/ (src/README.md), bottom to top: a file may import from its own floor or a
// lower one, never a higher one. Folders that do not exist yet (leaks/, db/) hold their place.
const ENTRIES = ['index', 'web', 'http', 'fastify', 'hono', 'query', 'prometheus', 'otel', 'prisma', 'pg', 'deprecated']
const FLOORS = [
  ['util'],
  ['pressure'],
  ['caches', 'degrade', 'leaks'],
  ['controller.ts', 'lifecycle'],
  ['db'],
  ['observe'],
  ['http'],
  ENTRIES.map((entry) => `${entry}.ts`),
]
// The stages of a sample inside src/pressure/ (src/README.md), bottom to top, ruled the same way:
// the words first, then what is read (and when), the floors, the level, what follows a change of
// level, and the controller that drives them; a stage may not import a later one.
const STAGES = [
  ['levels.ts', 'types.ts'],
  ['sources', 'readings', 'sampling'],
  ['floors'],
  ['level'],
  ['delivery', 'history'],
  ['core.ts', 'options.ts', 'pressure-controller.ts'],
]
const at = (name) => `./src/${name}`
const inPressure = (name) => at(`pressure/${name}`)
const above = (floor) =>
  FLOORS.slice(floor + 1)
    .flat()
    .map(at)
/** Per floor, what its folders may not import; then the rules narrower than the floors. */
const floorZones = [
  ...FLOORS.slice(0, -1).flatMap((names, floor) =>
    names.map((name) => ({
      target: at(name),
      from: above(floor).filter((from) => !(name === 'controller.ts' && from === at('http'))),
      message: `src/${name} stands on floor ${floor + 1} of src/README.md: it may not import from a higher floor.`,
    })),
  ),
  {
    // The one exception: the composition root builds `shed.middleware()` (contract §3) from the HTTP layer.
    target: at('controller.ts'),
    from: at('http'),
    except: ['./node/middleware.ts'],
    message: 'src/controller.ts may import from src/http only the node middleware it wires into the shedder.',
  },
  ...STAGES.slice(0, -1).flatMap((names, stage) =>
    names.map((name) => ({
      target: inPressure(name),
      from: STAGES.slice(stage + 1)
        .flat()
        .map(inPressure),
      message: `src/pressure/${name} is stage ${stage + 1} of a sample (src/README.md): it may not import a later stage.`,
    })),
  ),
  {
    // What reacts to the level holds the controller through ControllerCore only: no part of the
    // sampler, no private state, whatever the pipeline inside pressure/ becomes.
    target: ['caches', 'degrade', 'lifecycle'].map(at),
    from: at('pressure'),
    except: ['./core.ts', './levels.ts', './types.ts'],
    message:
      'src/caches, src/degrade and src/lifecycle reach the pressure controller through core.ts (ControllerCore), levels.ts and types.ts only.',
  },
  {
    target: at('leaks'),
    from: ['caches', 'degrade'].map(at),
    message: 'src/leaks may import util and pressure only (layout: issue 21).',
  },
  {
    target: at('http'),
    from: [at('controller.ts'), at('lifecycle')],
    message: "src/http uses only the controller's public API: the entries pass sharedController in.",
  },
]

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'test-results/',
      'coverage/',
      'examples/nextjs/.next/',
      'examples/nextjs/node_modules/',
      'examples/nextjs/next-env.d.ts',
      'examples/prisma/generated/',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `K extends {}` is lru-cache's own constraint on keys and values (any non-nullish value).
      '@typescript-eslint/no-empty-object-type': [
        'error',
        { allowInterfaces: 'with-single-extends', allowObjectTypes: 'always' },
      ],
      // Rejections pass on what the user's work threw, or an AbortSignal's reason, unchanged.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // `keyof T & string` is how option-key lists are typed; the rule reads it as redundant.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      // Its autofix removed assertions that tsc needs (`undefined as unknown`, a cast from unknown): off.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // Specifiers name the built files (`./x.js`); the sources are `.ts`.
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } }),
      ],
    },
    rules: { 'import-x/no-restricted-paths': ['error', { zones: floorZones, basePath: import.meta.dirname }] },
  },
  {
    // Tests drive the API from the outside: JSON lines from child processes are untyped, `expect(x.method)`
    // passes methods around on purpose, async test bodies without an await are normal, and fault
    // injection throws non-errors and hands async functions to callbacks that must survive them.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
    },
  },
  {
    // The Next.js example is an app of its own, linted before its dependencies (next, react) are
    // installed: without type information, so that the answer does not depend on that install.
    files: ['examples/nextjs/**/*.ts', 'examples/nextjs/**/*.tsx'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // The dashboard page's script runs in a browser: the DOM's globals, none of Node's.
    files: ['src/observe/dashboard/browser/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-globals': [
        'error',
        ...['process', 'Buffer', 'global', 'require', 'module', '__dirname', '__filename', 'setImmediate'].map(
          (name) => ({ name, message: 'the dashboard script runs in a browser' }),
        ),
      ],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*'], message: 'the dashboard script runs in a browser' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    // `gc` is there under --expose-gc (benchmarks and fixtures run with it).
    languageOptions: { globals: { ...globals.node, gc: 'readonly' } },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }] },
  },
  prettier,
)
