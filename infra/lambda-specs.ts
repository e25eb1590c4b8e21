/**
 * What the stack is made from, read from the code: every Lambda (one per function and per
 * controller, the controllers' lanes, the outbox relay and its sweep) with its settings and the
 * controllers it invokes, and which of them may use which service and how much of the table. The
 * stack (`infra/leedz-stack.ts`) turns these into functions and policies; the bundler
 * (`infra/lambda-bundles.ts`) builds one bundle per name.
 *
 * @example
 * const { functions, controllers, lanes, relay, sweep } = lambdaSpecs();
 * tableActions(sweep.config.table); // ['dynamodb:Query', 'dynamodb:UpdateItem']
 */
import { type Deployable, TABLE_ACTION_NAMES, type TableAccess, type TableAction } from '../src/framework/define.js';
import { LANES } from '../src/leedz/controllers/mail-lanes.js';
import { type Deployables, OUTBOX_RELAY, OUTBOX_SWEEP_NAME, readDeployables } from './deployables.js';

/**
 * Which deployables use which AWS service through a port, beyond the table every one of them uses.
 * Each gets that service's permission and nobody else does; a name that no deployable has fails
 * the synth, so a renamed function cannot silently lose (or keep) a grant.
 */
export const SERVICE_USERS = {
  /** SES `SendEmail` from the stack's identity. */
  mailer: ['emailHelper'],
  /** Powertools' idempotency table (one record per email sent). */
  idempotency: ['emailHelper'],
  /** Amazon Location place index: addresses of leedz, home zips, searches near a zip. */
  geocoder: ['addLeed', 'editLeed', 'updateMe', 'searchLeedz'],
  /** The Square keys in Secrets Manager. */
  payments: ['buyLeed', 'paymentWebhook'],
  /** Cognito's admin API: the session minted once a sign-in link is redeemed (the link's tokens are in the table). */
  identity: ['authCallback'],
} as const satisfies Record<string, readonly string[]>;

/**
 * The deployables whose code reads the table's secrets (the `SECRET#<name>` items: the key that signs
 * the unsubscribe links, src/leedz/emails/unsubscribe.ts), with their lanes. Every other Lambda that
 * uses the table is denied those items by their partition key (`dynamodb:LeadingKeys`,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html): the
 * code of a function that has no need of the key can neither read it nor forge a link with it.
 */
export const SECRET_READERS: readonly string[] = ['emailHelper', 'unsubscribe'];

/**
 * The DynamoDB action behind each table action a deployable declares (`table` in its config, one
 * per action its code sends): the DynamoDB store and the login tokens send nothing else — no scan,
 * no batch. A `TransactWriteItems` is authorised item by item, as the put, update, delete or
 * condition check each item is; a query reaches the table's indexes too (the stack grants it on
 * them). `test/infra/table-access.test.ts` runs every deployable against DynamoDB Local and fails
 * when its code sends an action its declaration does not list.
 */
export const TABLE_ACTIONS: Readonly<Record<TableAction, string>> = {
  get: 'dynamodb:GetItem',
  query: 'dynamodb:Query',
  put: 'dynamodb:PutItem',
  update: 'dynamodb:UpdateItem',
  delete: 'dynamodb:DeleteItem',
  'condition-check': 'dynamodb:ConditionCheckItem',
};

/** The IAM actions of a `table` declaration, in a fixed order (none when there is no declaration). */
export function tableActions(table: TableAccess | undefined): string[] {
  return TABLE_ACTION_NAMES.filter((action) => table?.includes(action) === true).map((action) => TABLE_ACTIONS[action]);
}

/** What Powertools-style idempotency records need (`src/adapters/idempotency/dynamodb-idempotency-store.ts`). */
export const IDEMPOTENCY_ACTIONS: readonly string[] = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

/**
 * What a Lambda is made from: a deployable's name, settings and declared invocations; `runs` when it
 * runs another deployable's code (a controller's lane: `emailHelperBulk` runs `emailHelper`).
 */
export type LambdaSpec = Pick<Deployable, 'name' | 'config' | 'invokes'> & { runs?: string };

/**
 * Every Lambda of the stack: one per function and per controller, the outbox relay and the sweep.
 * The relay and the sweep invoke the target of every outbox message (the controllers) and mark the
 * messages dispatched; the sweep stops in time to finish its batch within its timeout.
 */
export function lambdaSpecs({ functions, controllers }: Deployables = readDeployables()): {
  functions: readonly LambdaSpec[];
  controllers: Deployables['controllers'];
  /** The controllers' lanes (`src/leedz/controllers/mail-lanes.ts`): their code, settings and invocations. */
  lanes: readonly LambdaSpec[];
  relay: LambdaSpec;
  sweep: LambdaSpec;
} {
  const everyController = controllers.map((c) => c.name);
  const lanes = controllers.flatMap((controller) => {
    const lane = LANES[controller.name];
    return lane === undefined ? [] : [{ name: lane.lambda, runs: controller.name, config: controller.config, invokes: controller.invokes }];
  });
  return {
    functions,
    controllers,
    lanes,
    // The relay marks what it delivered dispatched; the sweep also reads the pending-outbox index.
    relay: { name: OUTBOX_RELAY, config: { timeoutSeconds: 60, table: ['update'] }, invokes: everyController },
    sweep: { name: OUTBOX_SWEEP_NAME, config: { timeoutSeconds: 120, table: ['query', 'update'] }, invokes: everyController },
  };
}

/** The names of every Lambda of the stack, for the bundler (`infra/lambda-bundles.ts`). */
export function lambdaNames(deployables?: Deployables): string[] {
  const { functions, controllers, lanes, relay, sweep } = lambdaSpecs(deployables);
  return [...functions, ...controllers, ...lanes, relay, sweep].map((spec) => spec.name);
}
