// The layers of design.md section 1, as rules over the import graph of src/ (docs/architecture.md
// says the same in prose). test/architecture.test.ts runs dependency-cruiser with these rules and
// fails on any violation; `npx depcruise src` shows them from a terminal.
//
//   app (composition root)   src/app, src/main.ts
//   fronts                   src/bot/*, src/web
//   commands                 src/commands
//   core                     src/pipeline, src/audit, src/images
//   adapters                 src/aws, src/ssh, src/store, src/config, src/artifacts
//   base                     src/domain, src/cost, src/observability, src/errors.ts, src/version.ts
//
// An import may go down any number of layers, never up; a front reaches the core and the adapters
// only through src/commands (src/config, typed settings, is readable from every layer); no cycles.

const APP = '^src/(app/|main\\.ts$)';
const FRONTS = '^src/(bot|web)/';
const COMMANDS = '^src/commands/';
const CORE = '^src/(pipeline|audit|images)/';
const ADAPTERS = '^src/(aws|ssh|store|config|artifacts)/';
const IO_ADAPTERS = '^src/(aws|ssh|store|artifacts)/';
const BASE = '^src/(domain/|cost/|observability/|errors\\.ts$|version\\.ts$)';

/** The layers above each one, which it must not import. */
const above = {
  fronts: [APP],
  commands: [APP, FRONTS],
  core: [APP, FRONTS, COMMANDS],
  adapters: [APP, FRONTS, COMMANDS, CORE],
  base: [APP, FRONTS, COMMANDS, CORE, ADAPTERS],
};

const upward = (name, from, layers) => ({
  name: `no-upward-${name}`,
  comment: `${name} must not import a layer above it (design.md section 1)`,
  severity: 'error',
  from: { path: from },
  to: { path: layers.join('|') },
});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    upward('fronts', FRONTS, above.fronts),
    upward('commands', COMMANDS, above.commands),
    upward('core', CORE, above.core),
    upward('adapters', ADAPTERS, above.adapters),
    upward('base', BASE, above.base),
    {
      name: 'no-front-to-adapter',
      comment: 'a front never calls AWS, SSH or SQL itself: it goes through src/commands',
      severity: 'error',
      from: { path: FRONTS },
      to: { path: IO_ADAPTERS },
    },
    {
      name: 'no-front-to-core',
      comment: 'fronts depend on src/commands only (the executor, RunView, the typed events)',
      severity: 'error',
      from: { path: FRONTS },
      to: { path: CORE },
    },
    {
      name: 'no-front-to-other-front',
      comment: 'fronts do not reach into each other: the dashboard knows chat only through the links src/app hands it, and chat fronts share only the server\'s route types (src/web/routes.ts)',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: '^src/bot/' },
    },
    {
      name: 'no-chat-to-dashboard',
      comment: 'chat fronts share only the HTTP server\'s route types with src/web, not the dashboard or its access rules',
      severity: 'error',
      from: { path: '^src/bot/' },
      to: { path: '^src/web/(?!routes\\.ts$)' },
    },
    {
      name: 'no-audit-to-pipeline',
      comment: 'the audit prices and reaps without the run engine (shared pieces live in src/cost, src/aws/kinds, src/domain)',
      severity: 'error',
      from: { path: '^src/audit/' },
      to: { path: '^src/pipeline/' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    includeOnly: '^src/',
    // Type-only imports are dependencies too: a front that names the Store type depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
    moduleSystems: ['es6'],
  },
};
