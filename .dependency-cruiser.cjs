/**
 * The dependency direction of docs/architecture.md (Direction of imports), enforced in `npm test`
 * (`npm run lint`).
 * Framework: Node built-ins and zod only. Domain: zod only.
 * Only composition roots (server, lambda) and tests import adapters.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'framework-is-standalone',
      comment: 'src/framework is the pattern: Node built-ins and a schema library, nothing of ours outside it.',
      severity: 'error',
      from: { path: '^src/framework/' },
      to: {
        pathNot: ['^src/framework/', '^node_modules/zod/', '^node_modules/@types/node/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'domain-is-pure',
      comment: 'leedz/domain holds pure rules: zod for schemas and nothing else.',
      severity: 'error',
      from: { path: '^src/leedz/domain/' },
      to: { pathNot: ['^src/leedz/domain/', '^node_modules/zod/'] },
    },
    {
      name: 'marketplace-uses-ports-not-adapters',
      comment: 'functions and controllers import the framework, the domain and ports; never adapters, the runtime or an SDK.',
      severity: 'error',
      from: { path: '^src/leedz/' },
      to: { path: ['^src/(adapters|runtime|transports|server|lambda)/', '^node_modules/@aws-sdk/'] },
    },
    {
      name: 'only-composition-roots-import-adapters',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(server|lambda|adapters)/'] },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'store-adapters-import-ports-and-domain',
      comment: 'A store adapter imports the ports, the domain and its own folder (and its SDK): never another adapter, the framework or the marketplace.',
      severity: 'error',
      from: { path: '^src/adapters/store/([^/]+)/' },
      to: { path: '^src/', pathNot: ['^src/leedz/ports\\.ts$', '^src/leedz/domain/', '^src/adapters/store/$1/'] },
    },
    {
      name: 'dynamodb-store-uses-only-the-aws-sdk',
      severity: 'error',
      from: { path: '^src/adapters/store/dynamodb/' },
      to: { path: '^node_modules/', pathNot: ['^node_modules/@aws-sdk/', '^node_modules/@types/node/'] },
    },
    {
      name: 'nothing-in-src-imports-infra',
      comment: 'infra/ (the CDK app) reads src/ to build the stack; the code that runs never depends on how it is deployed.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^infra/' },
    },
    {
      name: 'runtime-knows-no-marketplace',
      severity: 'error',
      from: { path: '^src/(runtime|transports)/' },
      to: { path: ['^src/(leedz|adapters|server|lambda|example|edge)/'] },
    },
    {
      name: 'the-edge-converts-only',
      comment: 'src/edge is the HTTP edge of the marketplace: hono, the functions\' HTTP shapes and the ports; never an adapter, a server or a Lambda entry.',
      severity: 'error',
      from: { path: '^src/edge/' },
      to: { path: ['^src/(adapters|server|lambda|transports|example)/', '^node_modules/@aws-sdk/'] },
    },
    {
      name: 'no-aws-sdk-in-framework-or-marketplace',
      severity: 'error',
      from: { path: '^src/(framework|leedz|runtime)/' },
      to: { path: '^node_modules/@aws-sdk/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
