/**
 * The CDK stack, checked on its synthesised template. Bundling is skipped (`aws:cdk:bundling-stacks`
 * empty: the constructs are the same, only esbuild does not run) and so is CDK's CloudFormation
 * validation, which `cloudformation-validation.test.ts` runs once: this synth then takes about a second.
 */
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYED_FUNCTION } from '../../src/framework/deployment.js';
import { USERNAME_ATTRIBUTE } from '../../src/adapters/identity/cognito/cognito-identity.js';
import { LEEDZ_TABLE } from '../../src/adapters/store/dynamodb/table-definition.js';
import { API_FRONT_FUNCTION, ROUTES } from '../../src/leedz/functions/routes.js';
import { AWS_ENV } from '../../src/lambda/aws-config.js';
import { OUTBOX_RELAY, OUTBOX_SWEEP_NAME, readDeployables } from '../../infra/deployables.js';
import { ACCESS_LOG_FORMAT, API_FALLBACK_PATH, apiGatewayPath, routeKey } from '../../infra/http-api.js';
import { IDEMPOTENCY_ACTIONS, lambdaSpecs, SERVICE_USERS, TABLE_ACTIONS, tableActions } from '../../infra/lambda-specs.js';
import { LeedzStack } from '../../infra/leedz-stack.js';
import { PLACE_INDEX_REGIONS } from '../../infra/stack-services.js';
import { LAMBDA_UNRESERVED_MINIMUM, signInThrottle, stageThrottle } from '../../infra/edge-limits.js';
import { planLambdaCaps, planMailRate } from '../../infra/mail-rate.js';
import { OUTBOX_SWEEP } from '../../src/lambda/outbox-sweep.js';
import { LEEDZ_ENDED_SCHEDULE } from '../../src/leedz/controllers/bookkeeping.js';
import { testApp } from '../helpers/cdk-app.js';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

const { functions, controllers } = readDeployables();
const { lanes, relay, sweep } = lambdaSpecs();
const deployables = [...functions, ...controllers];
/** emailHelper's lane (emailHelperBulk): its code, its settings and its invocations. */
const laneNames = lanes.map((lane) => lane.name);
const allLambdas = [...deployables.map((d) => d.name), ...laneNames, OUTBOX_RELAY, OUTBOX_SWEEP_NAME];
/** What a Lambda runs: a lane runs its controller. */
const runs = (name: string) => lanes.find((lane) => lane.name === name)?.runs ?? name;
/** The controllers and their lanes: every Lambda invoked with Event. */
const eventLambdas = [...controllers.map((c) => c.name), ...laneNames];
/** The stack's default: the SES sandbox's rate, 1,000 executions. */
const caps = planLambdaCaps(1000, 1, { functions, controllers, lanes });
/** The outbox relay and sweep invoke every controller, and are no deployable of the marketplace. */
const outboxLambdas: readonly string[] = [OUTBOX_RELAY, OUTBOX_SWEEP_NAME];

let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  const app = testApp();
  const stack = new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@example.com', adminEmail: 'admin@example.com', lambdaConcurrency: 1000 });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
}, 60_000);

function ofType(type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** The logical id of the Lambda deployed as `Leedz-<name>`. */
function lambdaId(name: string): string {
  const found = ofType('AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === `Leedz-${name}`);
  if (found === undefined) throw new Error(`no Lambda Leedz-${name}`);
  return found[0];
}

/** Every statement of the policies attached to the role of Lambda `name`. */
/** What the Lambda's role is allowed (the table's secrets, denied to most, are test/infra/table-access.test.ts's). */
function statementsOf(name: string): Statement[] {
  const roleId = resources[lambdaId(name)]!.Properties.Role['Fn::GetAtt'][0] as string;
  return ofType('AWS::IAM::Policy')
    .filter(([, r]) => (r.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement as Statement[])
    .filter((statement) => statement.Effect === 'Allow');
}

function actions(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

function withAction(name: string, action: string): Statement[] {
  return statementsOf(name).filter((s) => actions(s).includes(action));
}

/**
 * The function a `lambda:InvokeFunction` resource names: the ARN must be exactly
 * `arn:<partition>:lambda:<region>:<account>:function:<name>` (no wildcard, no qualifier).
 */
function invokedName(resource: unknown): string {
  const parts = (resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  expect(parts.slice(0, 6)).toEqual(['arn:', { Ref: 'AWS::Partition' }, ':lambda:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }]);
  const match = /^:function:([A-Za-z0-9_-]+)$/.exec(parts[6] as string);
  expect(match, `${JSON.stringify(parts)} names one function`).not.toBeNull();
  return match![1]!;
}

describe('the Lambdas', () => {
  it('deploys one Lambda per function, per controller, for the relay and the sweep: nodejs24.x on arm64, its own entry’s handler, its name in LEEDZ_FUNCTION', () => {
    expect(ofType('AWS::Lambda::Function').filter(([, r]) => r.Properties.FunctionName !== undefined)).toHaveLength(allLambdas.length);
    for (const name of allLambdas) {
      const fn = resources[lambdaId(name)]!.Properties;
      expect(fn.Runtime).toBe('nodejs24.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.Handler).toBe('index.handler');
      // What the local runtime reports of its functions (GetFunction, the context, a tail's REPORT) is this.
      expect({ runtime: fn.Runtime, architecture: fn.Architectures[0], memorySizeMb: fn.MemorySize, handler: fn.Handler, tracing: fn.TracingConfig.Mode }).toEqual(DEPLOYED_FUNCTION);
      expect(fn.Environment.Variables[AWS_ENV.function]).toBe(runs(name));
      expect(fn.Environment.Variables[AWS_ENV.functionPrefix]).toBe('Leedz-');
    }
    for (const deployable of deployables) expect(resources[lambdaId(deployable.name)]!.Properties.Timeout).toBe(deployable.config.timeoutSeconds ?? 3);
    expect(laneNames).toEqual(['emailHelperBulk']);
    expect(resources[lambdaId('emailHelperBulk')]!.Properties.Timeout).toBe(caps.mail.bulk.timeoutSeconds);
  });

  it('builds each Lambda from its own bundle, when given one for every Lambda', () => {
    const bundles = new Map(allLambdas.map((name) => [name, { dir: join(import.meta.dirname, 'fixtures', 'empty-bundle') }]));
    const app = testApp();
    const stack = new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@example.com', adminEmail: 'admin@example.com', lambdaConcurrency: 1000, lambdaBundles: bundles });
    const lambdas = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, Resource>).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName !== undefined);
    expect(lambdas.map((r) => Object.keys(r.Properties.Code).sort())).toEqual(allLambdas.map(() => ['S3Bucket', 'S3Key']));
    bundles.delete('getTrades');
    expect(() => new LeedzStack(testApp(), 'Leedz', { mailFrom: 'no-reply@example.com', adminEmail: 'admin@example.com', lambdaConcurrency: 1000, lambdaBundles: bundles })).toThrow('no bundle for the Lambda "getTrades"');
  });

  it('sets every variable the Lambda configuration requires (no deploy that fails at its first cold start)', () => {
    const mailOnly: string[] = [AWS_ENV.sesSendRate, AWS_ENV.sesConfigurationSet, AWS_ENV.fanOutBatchSize];
    // LEEDZ_ORIGIN_VERIFY comes with a web site (CloudFront), which this stack has not: test/infra/web-site.test.ts.
    const required = Object.values(AWS_ENV).filter(
      (name) => name !== AWS_ENV.region && name !== AWS_ENV.onFailureDestination && name !== AWS_ENV.originVerify && !mailOnly.includes(name),
    );
    for (const name of allLambdas) {
      const variables = resources[lambdaId(name)]!.Properties.Environment.Variables as Record<string, unknown>;
      // A controller also names its on-failure destination, for the records of non-retriable errors;
      // the mail Lambdas their share of SES's rate and the configuration set (and the planner its batches).
      const expected = [
        ...required,
        ...(eventLambdas.includes(name) ? [AWS_ENV.onFailureDestination] : []),
        ...(name === 'emailHelper' ? mailOnly : name === 'emailHelperBulk' ? [AWS_ENV.sesSendRate, AWS_ENV.sesConfigurationSet] : []),
      ];
      // No NODE_OPTIONS=--enable-source-maps: the code carries no source map (it is a separate artifact).
      expect(Object.keys(variables).sort(), name).toEqual([...expected].sort());
    }
  });

  it("paces each mail Lambda's containers at its share of SES's rate, sizes the fan-out's batches for the bulk Lambda, and names the configuration set", () => {
    const variables = (name: string) => resources[lambdaId(name)]!.Properties.Environment.Variables as Record<string, string>;
    expect(variables('emailHelper')).toMatchObject({
      [AWS_ENV.sesSendRate]: String(caps.mail.priority.ratePerContainer),
      [AWS_ENV.fanOutBatchSize]: String(caps.mail.bulk.batchSize),
      [AWS_ENV.sesConfigurationSet]: 'Leedz-mail',
      [AWS_ENV.sesMaxSendRate]: '1',
    });
    expect(variables('emailHelperBulk')).toMatchObject({ [AWS_ENV.sesSendRate]: String(caps.mail.bulk.ratePerContainer), [AWS_ENV.sesConfigurationSet]: 'Leedz-mail' });
    // Every container of both at once stays within the account's rate.
    const reserved = (name: string) => resources[lambdaId(name)]!.Properties.ReservedConcurrentExecutions as number;
    const total = reserved('emailHelper') * Number(variables('emailHelper')[AWS_ENV.sesSendRate]) + reserved('emailHelperBulk') * Number(variables('emailHelperBulk')[AWS_ENV.sesSendRate]);
    expect(total).toBeLessThanOrEqual(1 + 1e-9);
  });

  it.each(eventLambdas)('%s may send to its own failure queue (a lane to its controller\'s), the one its asynchronous invocation names', (name) => {
    const variables = resources[lambdaId(name)]!.Properties.Environment.Variables as Record<string, { 'Fn::GetAtt'?: [string, string] }>;
    if (name !== runs(name)) expect(variables[AWS_ENV.onFailureDestination]).toEqual(resources[lambdaId(runs(name))]!.Properties.Environment.Variables[AWS_ENV.onFailureDestination]);
    const queue = variables[AWS_ENV.onFailureDestination]!['Fn::GetAtt']![0];
    expect(resources[queue]!.Type).toBe('AWS::SQS::Queue');
    const sends = withAction(name, 'sqs:SendMessage').flatMap(resourcesOf);
    expect(sends).toEqual([{ 'Fn::GetAtt': [queue, 'Arn'] }]);
    const invokeConfig = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && JSON.stringify(r.Properties.FunctionName).includes(lambdaId(name)))!;
    expect(invokeConfig.Properties.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': [queue, 'Arn'] });
  });
});

describe('least privilege, policy by policy', () => {
  it.each(allLambdas)('%s may invoke exactly the controllers it declares, and their lanes', (name) => {
    const declared = outboxLambdas.includes(name) ? controllers.map((c) => c.name) : deployables.find((d) => d.name === runs(name))!.invokes;
    const withLanes = declared.flatMap((target) => [target, ...lanes.filter((lane) => lane.runs === target).map((lane) => lane.name)]);
    const invokeStatements = withAction(name, 'lambda:InvokeFunction');
    const granted = invokeStatements.flatMap(resourcesOf).map(invokedName);
    expect(granted.sort()).toEqual(withLanes.map((target) => `Leedz-${target}`).sort());
    // Every granted ARN names a Lambda of this stack.
    for (const physical of granted) lambdaId(physical.replace(/^Leedz-/, ''));
  });

  it('grants login emailHelper (and its bulk lane) only; emailHelper itself only (its fan-out); bookkeeping nothing', () => {
    const invokes = (name: string) => withAction(name, 'lambda:InvokeFunction').flatMap(resourcesOf).map(invokedName);
    expect(invokes('login')).toEqual(['Leedz-emailHelper', 'Leedz-emailHelperBulk']);
    expect(invokes('emailHelper')).toEqual(['Leedz-emailHelper', 'Leedz-emailHelperBulk']);
    expect(invokes('bookkeeping')).toEqual([]);
    expect(invokes('addLeed')).toEqual([]);
  });

  it('writes each Lambda’s logs to its own log group only, with no managed policy', () => {
    for (const name of allLambdas) {
      const fn = resources[lambdaId(name)]!.Properties;
      const roleId = fn.Role['Fn::GetAtt'][0] as string;
      expect(resources[roleId]!.Properties.ManagedPolicyArns, name).toBeUndefined();
      expect(fn.LoggingConfig.LogGroup).toEqual({ Ref: expect.stringMatching(new RegExp(`^${name}Logs`)) });
      expect(withAction(name, 'logs:PutLogEvents').flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [fn.LoggingConfig.LogGroup.Ref, 'Arn'] }]);
    }
  });

  it('has no statement with Resource "*", but X-Ray’s two write actions (which take no resource)', () => {
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        if (resourcesOf(statement).includes('*')) expect(actions(statement).sort(), `${id}: ${JSON.stringify(statement)}`).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    }
  });

  it('lets only emailHelper (and its lane) send email: From the stack’s address only, to any identity of the account (SES checks the recipient’s identity in the sandbox), with the configuration set', () => {
    for (const name of allLambdas) {
      const sends = statementsOf(name).filter((s) => actions(s).some((a) => a.startsWith('ses:')));
      if (!(SERVICE_USERS.mailer as readonly string[]).includes(runs(name))) {
        expect(sends, name).toEqual([]);
        continue;
      }
      expect(sends).toHaveLength(1);
      expect(actions(sends[0]!).sort()).toEqual(['ses:SendEmail']);
      expect(resourcesOf(sends[0]!)).toEqual([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':identity/*']] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':configuration-set/Leedz-mail']] },
      ]);
      expect((sends[0] as Statement & { Condition?: unknown }).Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'no-reply@example.com' } });
    }
    expect(SERVICE_USERS.mailer).toEqual(['emailHelper']);
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'no-reply@example.com' });
  });

  it('lets only the payment functions read the Square secret', () => {
    const secretId = ofType('AWS::SecretsManager::Secret')[0]![0];
    const readers = allLambdas.filter((name) => statementsOf(name).some((s) => actions(s).some((a) => a.startsWith('secretsmanager:'))));
    expect(readers.sort()).toEqual(['buyLeed', 'paymentWebhook']);
    for (const name of readers) {
      const statement = statementsOf(name).find((s) => actions(s).includes('secretsmanager:GetSecretValue'))!;
      expect(resourcesOf(statement)).toEqual([{ Ref: secretId }]);
    }
  });

  it('lets only the geocoding functions search the place index, and only it', () => {
    const indexId = ofType('AWS::Location::PlaceIndex')[0]![0];
    const users = allLambdas.filter((name) => statementsOf(name).some((s) => actions(s).some((a) => a.startsWith('geo:'))));
    expect(users.sort()).toEqual([...SERVICE_USERS.geocoder].sort());
    for (const name of users) {
      expect(withAction(name, 'geo:SearchPlaceIndexForText').flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [indexId, 'IndexArn'] }]);
    }
  });

  it('lets only the sign-in functions use Cognito’s admin API, on the stack’s user pool', () => {
    const poolId = ofType('AWS::Cognito::UserPool')[0]![0];
    const users = allLambdas.filter((name) => statementsOf(name).some((s) => actions(s).some((a) => a.startsWith('cognito-idp:'))));
    expect(users.sort()).toEqual([...SERVICE_USERS.identity].sort());
    for (const name of users) {
      const resourcesGranted = statementsOf(name)
        .filter((s) => actions(s).some((a) => a.startsWith('cognito-idp:')))
        .flatMap(resourcesOf);
      expect(resourcesGranted).toEqual([{ 'Fn::GetAtt': [poolId, 'Arn'] }]);
    }
  });

  it('lets only emailHelper (and its lane) use the idempotency table, with the four item actions its records need', () => {
    const idempotencyId = ofType('AWS::DynamoDB::GlobalTable').find(([, r]) => r.Properties.KeySchema[0].AttributeName === 'id')![0];
    const users = allLambdas.filter((name) => JSON.stringify(statementsOf(name)).includes(`"${idempotencyId}"`));
    expect(users).toEqual(['emailHelper', 'emailHelperBulk']);
    for (const user of users) {
      const statements = statementsOf(user).filter((s) => JSON.stringify(s.Resource).includes(`"${idempotencyId}"`));
      expect(statements.flatMap(actions).sort()).toEqual([...IDEMPOTENCY_ACTIONS].sort());
      expect(statements.flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [idempotencyId, 'Arn'] }]);
    }
  });

  it.each(allLambdas)('%s may use the table exactly as it declares (`table`), on the table and its indexes only', (name) => {
    const tableId = ofType('AWS::DynamoDB::GlobalTable').find(([, r]) => r.Properties.KeySchema[0].AttributeName === LEEDZ_TABLE.partitionKey)![0];
    const declared = [relay, sweep].find((spec) => spec.name === name)?.config.table ?? deployables.find((d) => d.name === runs(name))!.config.table;
    // The relay's stream actions are its event source mapping's (on the stream), not its code's.
    const onTable = statementsOf(name).filter((s) => JSON.stringify(s.Resource).includes(`"${tableId}"`) && !JSON.stringify(s.Resource).includes('StreamArn'));
    if (declared === undefined) {
      expect(onTable, name).toEqual([]);
      return;
    }
    expect(onTable).toHaveLength(1);
    // One IAM action per declared action, and nothing else.
    expect(actions(onTable[0]!).sort()).toEqual(declared.map((action) => TABLE_ACTIONS[action]).sort());
    // Each index by name: no wildcard.
    expect(resourcesOf(onTable[0]!)).toEqual([
      { 'Fn::GetAtt': [tableId, 'Arn'] },
      ...LEEDZ_TABLE.globalSecondaryIndexes.map((gsi) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, `/index/${gsi.name}`]] })),
    ]);
  });

  it('read-only functions get no write action, and no Lambda gets more than the store sends (no Scan, no batch, no table administration)', () => {
    const writes = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:BatchWriteItem'];
    expect(tableActions(['get', 'query'])).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    const readers = deployables.filter((d) => d.config.table !== undefined && d.config.table.every((action) => action === 'get' || action === 'query')).map((d) => d.name);
    expect(readers).toEqual(expect.arrayContaining(['getTrades', 'getStats', 'searchLeedz', 'getLeed', 'getMe', 'getUser', 'myLeedz', 'calendarFeed']));
    for (const name of readers) expect(statementsOf(name).flatMap(actions).filter((a) => writes.includes(a)), name).toEqual([]);
    // A writer gets the writes it declares, not all of them: logging in only counts (an update).
    expect(statementsOf('login').flatMap(actions).filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:UpdateItem']);
    const granted = new Set(allLambdas.flatMap((name) => statementsOf(name).flatMap(actions)).filter((a) => a.startsWith('dynamodb:')));
    for (const broad of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem', 'dynamodb:DescribeTable', 'dynamodb:*']) expect(granted.has(broad), broad).toBe(false);
  });
});

describe('asynchronous invocation of the controllers', () => {
  it.each(eventLambdas.map((name) => [name, controllers.find((c) => c.name === runs(name))!] as const))('%s: retries and event age as its controller declares, failures to its controller\'s SQS queue', (name, controller) => {
    const [, config] = ofType('AWS::Lambda::EventInvokeConfig').find(([, r]) => r.Properties.FunctionName.Ref === lambdaId(name))!;
    expect(config.Properties.Qualifier).toBe('$LATEST');
    expect(config.Properties.MaximumRetryAttempts).toBe(controller.config.maximumRetryAttempts ?? 2);
    expect(config.Properties.MaximumEventAgeInSeconds).toBe(controller.config.maximumEventAgeSeconds ?? 21_600);
    const queueId = config.Properties.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0] as string;
    expect(resources[queueId]!.Type).toBe('AWS::SQS::Queue');
    // The controller may send its failure records there.
    expect(withAction(name, 'sqs:SendMessage').flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [queueId, 'Arn'] }]);
  });

  it('only controllers have an asynchronous configuration, and the sweep: no retry, no older event than its period', () => {
    expect(ofType('AWS::Lambda::EventInvokeConfig')).toHaveLength(eventLambdas.length + 1);
    const [, sweep] = ofType('AWS::Lambda::EventInvokeConfig').find(([, r]) => r.Properties.FunctionName.Ref === lambdaId(OUTBOX_SWEEP_NAME))!;
    expect(sweep.Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: OUTBOX_SWEEP.everyMinutes * 60 });
  });

  it('alarms as soon as a failure queue holds a message (ApproximateNumberOfMessagesVisible > 0), notifying the admin', () => {
    const queues = ofType('AWS::SQS::Queue').map(([id]) => id);
    expect(queues).toHaveLength(controllers.length + 1);
    for (const queueId of queues) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: Match.anyValue() }],
      });
    }
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'admin@example.com' });
  });
});

describe('the table and the outbox relay', () => {
  it('builds the store’s table from its definition: on demand, point-in-time recovery, TTL, NEW_IMAGE stream, its indexes', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: LEEDZ_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: LEEDZ_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      TimeToLiveSpecification: { AttributeName: LEEDZ_TABLE.timeToLiveAttribute, Enabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      GlobalSecondaryIndexes: LEEDZ_TABLE.globalSecondaryIndexes.map((gsi) =>
        Match.objectLike({
          IndexName: gsi.name,
          KeySchema: [
            { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
            { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
          ],
          Projection: gsi.projection.type === 'ALL' ? { ProjectionType: 'ALL' } : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...gsi.projection.nonKeyAttributes] },
        }),
      ),
    });
    const [tableId, table] = ofType('AWS::DynamoDB::GlobalTable').find(([, r]) => r.Properties.KeySchema[0].AttributeName === LEEDZ_TABLE.partitionKey)!;
    expect(resources[tableId]).toMatchObject({ DeletionPolicy: 'Retain' });
    expect(table.Properties.TableName).toBeUndefined();
  });

  it('keeps idempotency records in Powertools’ layout: key `id`, TTL `expiration`', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
  });

  it('feeds the relay from the table’s stream: outbox inserts only, batch item failures reported, bounded retries to a queue', () => {
    const [tableId] = ofType('AWS::DynamoDB::GlobalTable').find(([, r]) => r.Properties.KeySchema[0].AttributeName === LEEDZ_TABLE.partitionKey)!;
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0]![1].Properties;
    expect(mapping.FunctionName).toEqual({ Ref: lambdaId(OUTBOX_RELAY) });
    expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': [tableId, 'StreamArn'] });
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping.StartingPosition).toBe('TRIM_HORIZON');
    expect(mapping.MaximumRetryAttempts).toBe(10);
    // A failing batch is split until the failing record is alone, and no record holds the shard for more than an hour.
    expect(mapping.BisectBatchOnFunctionError).toBe(true);
    expect(mapping.MaximumRecordAgeInSeconds).toBe(3600);
    expect(JSON.parse(mapping.FilterCriteria.Filters[0].Pattern)).toEqual({ eventName: ['INSERT'], dynamodb: { NewImage: { SK: { S: ['OUTBOX'] } } } });
    const queueId = mapping.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0] as string;
    expect(resources[queueId]!.Type).toBe('AWS::SQS::Queue');
  });
});

describe('the outbox never strands a message', () => {
  it('runs the sweep on a schedule, every few minutes, and nothing else invokes it', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, r]) => JSON.stringify(r.Properties.Targets).includes(lambdaId(OUTBOX_SWEEP_NAME)));
    expect(rules).toHaveLength(1);
    expect(JSON.stringify(ofType('AWS::Events::Rule').filter(([, r]) => r !== rules[0]![1]))).not.toContain(lambdaId(OUTBOX_SWEEP_NAME));
    const [, rule] = rules[0]!;
    expect(rule.Properties.ScheduleExpression).toBe(`rate(${OUTBOX_SWEEP.everyMinutes} minutes)`);
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [lambdaId(OUTBOX_SWEEP_NAME), 'Arn'] } })]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [lambdaId(OUTBOX_SWEEP_NAME), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [rules[0]![0], 'Arn'] },
    });
  });

  it('asks bookkeeping every few minutes to take the leedz whose gig has ended off their trades’ counts', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression !== undefined && JSON.stringify(r.Properties.Targets).includes(lambdaId('bookkeeping')));
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0]!;
    expect(rule.Properties).toMatchObject({ ScheduleExpression: `rate(${LEEDZ_ENDED_SCHEDULE.everyMinutes} minutes)`, State: 'ENABLED' });
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [lambdaId('bookkeeping'), 'Arn'] }, Input: JSON.stringify({ function: 'leedzEnded' }) })]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [lambdaId('bookkeeping'), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  it('alarms when the relay falls behind the stream (IteratorAge over half the sweep’s threshold for 5 minutes)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: lambdaId(OUTBOX_RELAY) } }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 5,
      Threshold: (OUTBOX_SWEEP.olderThanMinutes / 2) * 60_000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.anyValue() }],
    });
  });
});

describe('the edge', () => {
  const stage = () => ofType('AWS::ApiGatewayV2::Stage')[0]!;

  it('throttles the stage to what the API’s executions can serve, and the sign-in route to SES’s rate', () => {
    const plan = caps.concurrency;
    const [, { Properties }] = stage();
    expect(Properties.StageName).toBe('$default');
    expect(Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: stageThrottle(plan).rateLimit, ThrottlingBurstLimit: stageThrottle(plan).burstLimit });
    const login = ROUTES.find((route) => route.function === 'login')!;
    expect(routeKey(login)).toBe('POST /api/auth/login');
    // The sandbox's rate (the stack's default sesMaxSendRate): one sign-in email a second, five at once.
    expect(Properties.RouteSettings).toEqual({ 'POST /api/auth/login': { ThrottlingRateLimit: 1, ThrottlingBurstLimit: 5 } });
    expect(signInThrottle(1)).toEqual({ rateLimit: 1, burstLimit: 5 });
    // The route must exist before the stage names it.
    const loginRoute = ofType('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === 'POST /api/auth/login')![0];
    expect(stage()[1].DependsOn).toContain(loginRoute);
  });

  it('writes an access log line per request, as JSON, without headers or tokens', () => {
    const [, { Properties }] = stage();
    const logGroupId = Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0] as string;
    expect(resources[logGroupId]!.Type).toBe('AWS::Logs::LogGroup');
    expect(resources[logGroupId]!.Properties.RetentionInDays).toBe(30);
    const format = JSON.parse(Properties.AccessLogSettings.Format as string) as Record<string, string>;
    expect(format).toEqual(ACCESS_LOG_FORMAT);
    expect(format.requestId).toBe('$context.requestId');
    expect(Object.values(format).join(' ')).not.toMatch(/header|cookie|authorization|token/i);
  });

  it('caps every controller and lane with reserved concurrency, so a fan-out leaves the API (which reserves none) the rest; the mail Lambdas at their share of SES\'s rate', () => {
    const plan = caps.concurrency;
    let reserved = 0;
    for (const name of allLambdas) {
      const value = resources[lambdaId(name)]!.Properties.ReservedConcurrentExecutions as number | undefined;
      expect(value, name).toBe(plan.reserved.get(name));
      reserved += value ?? 0;
    }
    for (const name of eventLambdas) expect(plan.reserved.get(name), name).toBeGreaterThan(0);
    expect(plan.reserved.get('emailHelper')).toBe(planMailRate(1).priority.containers);
    expect(plan.reserved.get('emailHelperBulk')).toBe(planMailRate(1).bulk.containers);
    expect(reserved + LAMBDA_UNRESERVED_MINIMUM).toBeLessThanOrEqual(1000);
    expect(plan.api).toBe(1000 - reserved);
  });

  it('on an account too small to reserve, deploys without caps and warns at synth what to ask for', () => {
    const app = testApp();
    const small = new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@example.com', adminEmail: 'admin@example.com', lambdaConcurrency: 10 });
    const synthesised = Template.fromStack(small);
    expect(JSON.stringify(synthesised.toJSON())).not.toContain('ReservedConcurrentExecutions');
    const warnings = app.synth().getStackArtifact(small.artifactId).messages.filter((m) => m.level === 'warning').map((m) => String(m.entry.data));
    expect(warnings).toEqual([
      expect.stringMatching(/the account's Lambda concurrency \(10\) cannot reserve .*Request more \(Service Quotas → AWS Lambda → Concurrent executions/),
      expect.stringMatching(/with no reserved concurrency, each of up to 10 containers of a mail Lambda sends at most 0\.050 emails a second/),
    ]);
    // Then each of the 10 containers each mail Lambda may run paces itself at a tenth of its share.
    expect(small.mailRate.bulk).toMatchObject({ containers: 10, reserved: false, ratePerContainer: 0.05 });
    const timeout = Object.values(synthesised.toJSON().Resources as Record<string, Resource>).find((r) => r.Properties?.FunctionName === 'Leedz-emailHelperBulk')!.Properties.Timeout;
    expect(timeout).toBe(small.mailRate.bulk.timeoutSeconds);
  });
});

describe('eyes on it', () => {
  const alarmsOn = (metricName: string) => ofType('AWS::CloudWatch::Alarm').filter(([, r]) => r.Properties.MetricName === metricName);
  const alarmedFunctions = (metricName: string) =>
    alarmsOn(metricName)
      .map(([, r]) => (r.Properties.Dimensions as { Name: string; Value: { Ref: string } }[]).find((d) => d.Name === 'FunctionName')!.Value.Ref)
      .map((ref) => resources[ref]!.Properties.FunctionName as string)
      .sort();
  const physical = (names: readonly string[]) => names.map((name) => `Leedz-${name}`).sort();

  it('traces every Lambda with X-Ray (active)', () => {
    for (const name of allLambdas) expect(resources[lambdaId(name)]!.Properties.TracingConfig, name).toEqual({ Mode: 'Active' });
  });

  it('alarms on the errors of every Lambda, and on the throttles of every one that answers someone', () => {
    expect(alarmedFunctions('Errors')).toEqual(physical(allLambdas));
    // A throttled Event waits in Lambda's queue, and a capped controller is throttled by design during a fan-out.
    expect(alarmedFunctions('Throttles')).toEqual(physical([...functions.map((f) => f.name), ...outboxLambdas]));
    for (const [, alarm] of [...alarmsOn('Errors'), ...alarmsOn('Throttles')]) {
      expect(alarm.Properties).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching', AlarmActions: [{ Ref: expect.any(String) }] });
    }
  });

  it('alarms when a controller (or a lane) drops an Event, cannot deliver a failure record, or lets an Event wait too long', () => {
    const names = physical(eventLambdas);
    expect(alarmedFunctions('AsyncEventsDropped')).toEqual(names);
    expect(alarmedFunctions('DestinationDeliveryFailures')).toEqual(names);
    expect(alarmedFunctions('AsyncEventAge')).toEqual(names);
    // 15 minutes, except the bulk lane, which queues by design: half of its 6-hour maximum age, before events are dropped.
    for (const [, alarm] of alarmsOn('AsyncEventAge')) {
      const bulk = JSON.stringify(alarm.Properties.Dimensions ?? alarm.Properties).includes('emailHelperBulk');
      expect(alarm.Properties).toMatchObject({ Statistic: 'Maximum', Threshold: (bulk ? 180 : 15) * 60_000 });
    }
    expect(alarmsOn('AsyncEventAge').filter(([, alarm]) => JSON.stringify(alarm.Properties.Dimensions ?? alarm.Properties).includes('emailHelperBulk'))).toHaveLength(1);
  });

  it('alarms on the API’s 5xx answers and on throttled reads and writes of each table and its indexes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Statistic: 'Sum', Threshold: 0, Dimensions: [{ Name: 'ApiId', Value: { Ref: Match.anyValue() } }] });
    const tableAlarms = ofType('AWS::CloudWatch::Alarm').filter(([, r]) => JSON.stringify(r.Properties.Metrics ?? []).includes('ThrottleEvents'));
    expect(tableAlarms).toHaveLength(2);
    const leedz = tableAlarms.map(([, r]) => r.Properties.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string }[] } } }[]).find((m) => m.length > 2)!;
    const throttled = leedz.filter((m) => m.MetricStat !== undefined).map((m) => `${m.MetricStat!.Metric.MetricName}${m.MetricStat!.Metric.Dimensions.some((d) => d.Name === 'GlobalSecondaryIndexName') ? ' (index)' : ''}`);
    expect(throttled.sort()).toEqual(
      ['ReadThrottleEvents', 'WriteThrottleEvents', ...LEEDZ_TABLE.globalSecondaryIndexes.flatMap(() => ['ReadThrottleEvents (index)', 'WriteThrottleEvents (index)'])].sort(),
    );
    expect(leedz.find((m) => m.Expression !== undefined)!.Expression).toMatch(/^FILL\(r, 0\) \+ FILL\(w, 0\)/);
  });

  it('every alarm emails the admin', () => {
    const topicId = ofType('AWS::SNS::Topic')[0]![0];
    for (const [id, alarm] of ofType('AWS::CloudWatch::Alarm')) expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
  });

  it('has a dashboard of the request → controller flow: API, functions, outbox, controllers, failure queues, tables', () => {
    const dashboards = ofType('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    // Dashboards are global to an account: the stack's name alone would collide with the same stack in another region.
    expect(dashboards[0]![1].Properties.DashboardName).toEqual({ 'Fn::Join': ['', ['Leedz-', { Ref: 'AWS::Region' }, '-flow']] });
    const body = JSON.stringify(dashboards[0]![1].Properties.DashboardBody);
    const titles = [...body.matchAll(/\\"title\\":\\"([^\\]+)\\"/g)].map((m) => m[1]);
    expect(titles).toEqual([
      'API: requests, 4xx, 5xx',
      'API: latency',
      'Functions: throttles',
      'Functions: invocations',
      'Functions: errors',
      'Functions: duration p99',
      'Outbox: relay and sweep invocations, errors',
      'Outbox: relay iterator age (ms)',
      'Failure queues: messages',
      'Controllers: Events received, invocations',
      'Controllers: errors, dropped, undelivered records',
      'Controllers: oldest Event waiting (ms), concurrency',
      'Leedz table: capacity used and throttles',
      'Idempotency table: capacity used and throttles',
    ]);
    for (const name of allLambdas) expect(body, name).toContain(name);
  });
});

describe('the HTTP API', () => {
  it('has one route per row of ROUTES, to its function, with payload format 2.0, and a catch-all for the rest of /api/', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route');
    const fallbackKey = `ANY ${API_FALLBACK_PATH}`;
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual([...ROUTES.map((route) => `${route.method} ${apiGatewayPath(route)}`), fallbackKey].sort());
    const integrationOf = (routeKey: string) => {
      const [, resource] = routes.find(([, r]) => r.Properties.RouteKey === routeKey)!;
      return resources[resource.Properties.Target['Fn::Join'][1][1].Ref as string]!.Properties;
    };
    for (const route of ROUTES) {
      const integration = integrationOf(`${route.method} ${apiGatewayPath(route)}`);
      expect(integration.IntegrationType).toBe('AWS_PROXY');
      expect(integration.PayloadFormatVersion).toBe('2.0');
      expect(integration.IntegrationUri).toEqual({ 'Fn::GetAtt': [lambdaId(route.function), 'Arn'] });
    }
    // What no route matches goes to a function whose application answers the API's 404 or 405 (test/lambda/http-handler.test.ts).
    expect(integrationOf(fallbackKey).IntegrationUri).toEqual({ 'Fn::GetAtt': [lambdaId(API_FRONT_FUNCTION), 'Arn'] });
    const [, fallback] = routes.find(([, r]) => r.Properties.RouteKey === fallbackKey)!;
    expect(fallback.Properties.AuthorizationType).toBe('NONE');
  });

  it('puts the Cognito JWT authorizer on exactly the session routes', () => {
    const authorizers = ofType('AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [authorizerId, authorizer] = authorizers[0]!;
    const poolId = ofType('AWS::Cognito::UserPool')[0]![0];
    const clientId = ofType('AWS::Cognito::UserPoolClient')[0]![0];
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: clientId }],
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: poolId }]] },
      },
    });
    for (const route of ROUTES) {
      const [, resource] = ofType('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === `${route.method} ${apiGatewayPath(route)}`)!;
      if (route.auth === 'session') {
        expect(resource.Properties, route.path).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
      } else {
        expect(resource.Properties.AuthorizationType, `${route.method} ${route.path}`).toBe('NONE');
      }
    }
  });

  it('turns hono-style paths into API Gateway paths', () => {
    expect(apiGatewayPath({ path: '/api/leedz/:trade/:id/checkout' })).toBe('/api/leedz/{trade}/{id}/checkout');
  });
});

describe('the services behind the ports', () => {
  it('creates the SES identity, the place index, the Square secret and the Cognito pool with an app client', () => {
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'no-reply@example.com' });
    template.hasResourceProperties('AWS::Location::PlaceIndex', { IndexName: 'Leedz-places', DataSource: 'Esri', DataSourceConfiguration: { IntendedUse: 'Storage' } });
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
  });

  it('with mailIdentity existing, creates no SES identity (another stack or the operator owns it) and sends from mailFrom as before', () => {
    const app = testApp();
    const stack = new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@example.com', mailIdentity: 'existing', adminEmail: 'admin@example.com', lambdaConcurrency: 1000 });
    const shared = Template.fromStack(stack);
    shared.resourceCountIs('AWS::SES::EmailIdentity', 0);
    const sendGrants = (t: Template) =>
      Object.values(t.findResources('AWS::IAM::Policy'))
        .flatMap((policy) => (policy.Properties.PolicyDocument.Statement as Statement[]).filter((s) => [s.Action].flat().includes('ses:SendEmail')))
        .map((s) => JSON.stringify(s));
    expect(sendGrants(shared)).toEqual(sendGrants(template));
    expect(sendGrants(shared).length).toBeGreaterThan(0);
  });

  it('is refused by CloudFormation before anything is created in a region without place indexes, not rolled back halfway', () => {
    const rules = Object.values(template.toJSON().Rules as Record<string, { Assertions: { Assert: unknown; AssertDescription: string }[] }>);
    const assertion = rules.flatMap((rule) => rule.Assertions).find((a) => JSON.stringify(a.Assert).includes('AWS::Region'));
    expect(assertion?.Assert).toEqual({ 'Fn::Contains': [[...PLACE_INDEX_REGIONS], { Ref: 'AWS::Region' }] });
    expect(assertion?.AssertDescription).toMatch(/^Amazon Location has no place index in this region: deploy the Leedz to one of us-east-1, /);
    // Where the stack is used (us-east-1) and where Location never was (us-west-1, N. California).
    expect(PLACE_INDEX_REGIONS).toContain('us-east-1');
    expect(PLACE_INDEX_REGIONS).not.toContain('us-west-1');
  });

  it('fits the Cognito identity adapter: admin-only sign-up, a custom username only the server writes, admin password sign-in', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: Match.arrayWith([Match.objectLike({ Name: USERNAME_ATTRIBUTE.replace(/^custom:/, ''), AttributeDataType: 'String', Mutable: true })]),
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      WriteAttributes: ['email'],
    });
  });
});

describe('safer defaults', () => {
  it('the user pool is on the Lite plan: it uses nothing of Essentials, which Cognito would give it and bill for', () => {
    const [, pool] = ofType('AWS::Cognito::UserPool')[0]!;
    expect(pool.Properties.UserPoolTier).toBe('LITE');
  });

  it('the user pool has no password recovery: nobody has a password, and the public client id must not let anyone mail codes to users', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', { AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'admin_only', Priority: 1 }] } });
  });

  it('the app client has no OAuth flow, scope or callback (no hosted UI, nothing redirects anywhere)', () => {
    const [, client] = ofType('AWS::Cognito::UserPoolClient')[0]!;
    expect(client.Properties.AllowedOAuthFlowsUserPoolClient).toBe(false);
    for (const unused of ['AllowedOAuthFlows', 'AllowedOAuthScopes', 'CallbackURLs', 'LogoutURLs', 'DefaultRedirectURI']) {
      expect(client.Properties[unused], unused).toBeUndefined();
    }
    expect(client.Properties.PreventUserExistenceErrors).toBe('ENABLED');
  });

  it('protects the user pool and the main table from deletion, and retains both if the stack goes', () => {
    const [poolId, pool] = ofType('AWS::Cognito::UserPool')[0]!;
    expect(pool.Properties.DeletionProtection).toBe('ACTIVE');
    expect(resources[poolId]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const [tableId, table] = ofType('AWS::DynamoDB::GlobalTable').find(([, r]) => r.Properties.KeySchema[0].AttributeName === LEEDZ_TABLE.partitionKey)!;
    expect(table.Properties.Replicas.map((r: { DeletionProtectionEnabled?: boolean }) => r.DeletionProtectionEnabled)).toEqual([true]);
    expect(resources[tableId]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('creates the Square secret holding `{}`: no generated value that could pass for keys', () => {
    const [, secret] = ofType('AWS::SecretsManager::Secret')[0]!;
    expect(secret.Properties.SecretString).toBe('{}');
    expect(secret.Properties.GenerateSecretString).toBeUndefined();
  });
});

describe('mail at the account’s rate, bounces and complaints', () => {
  it('deploys emailHelper’s bulk routes as a Lambda of their own, of the same code, with the bulk share’s containers and a timeout that fits a batch', () => {
    const bulk = resources[lambdaId('emailHelperBulk')]!.Properties;
    expect(bulk.Environment.Variables[AWS_ENV.function]).toBe('emailHelper');
    expect(bulk.ReservedConcurrentExecutions).toBe(caps.mail.bulk.containers);
    expect(bulk.Timeout).toBe(caps.mail.bulk.timeoutSeconds);
    // A batch at the bulk container's pace, with its margin, within one attempt.
    expect(caps.mail.bulk.batchSize / caps.mail.bulk.ratePerContainer).toBeLessThan(bulk.Timeout);
  });

  it('creates the configuration set that publishes hard bounces and complaints to the default event bus', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: 'Leedz-mail' });
    const [, destination] = ofType('AWS::SES::ConfigurationSetEventDestination')[0]!;
    expect(destination.Properties.ConfigurationSetName).toEqual({ Ref: ofType('AWS::SES::ConfigurationSet')[0]![0] });
    expect(destination.Properties.EventDestination).toMatchObject({ Enabled: true, MatchingEventTypes: ['bounce', 'complaint'] });
    expect(JSON.stringify(destination.Properties.EventDestination.EventBridgeDestination.EventBusArn)).toContain(':event-bus/default');
  });

  it('hands each of its bounces and complaints to emailHelper.mailFeedback, the event’s detail as the payload', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern !== undefined);
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0]!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.ses'],
      'detail-type': ['Email Bounced', 'Email Complaint Received'],
      detail: { mail: { tags: { 'ses:configuration-set': ['Leedz-mail'] } } },
    });
    const [target] = rule.Properties.Targets as { Arn: unknown; InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }[];
    expect(target!.Arn).toEqual({ 'Fn::GetAtt': [lambdaId('emailHelper'), 'Arn'] });
    expect(target!.InputTransformer.InputPathsMap).toEqual({ detail: '$.detail' });
    expect(JSON.parse(target!.InputTransformer.InputTemplate.replace('<detail>', '{"eventType":"Bounce"}'))).toEqual({ function: 'mailFeedback', event: { eventType: 'Bounce' } });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [lambdaId('emailHelper'), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  it('at a production rate, shares it between more containers, and sizes batches to a thousand', () => {
    const app = testApp();
    const stack = new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@example.com', adminEmail: 'admin@example.com', lambdaConcurrency: 1000, sesMaxSendRate: 200 });
    const fn = (name: string) => Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, Resource>).find((r) => r.Properties?.FunctionName === `Leedz-${name}`)!.Properties;
    expect(stack.mailRate.bulk).toMatchObject({ containers: 6, rate: 150, ratePerContainer: 25, batchSize: 1000 });
    expect(fn('emailHelperBulk')).toMatchObject({ ReservedConcurrentExecutions: 6, Timeout: 70 });
    expect(fn('emailHelper')).toMatchObject({ ReservedConcurrentExecutions: 10 });
    expect(fn('emailHelper').Environment.Variables[AWS_ENV.fanOutBatchSize]).toBe('1000');
  });
});
