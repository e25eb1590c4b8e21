/**
 * The CDK stack, checked on its synthesised template. Bundling is skipped (`aws:cdk:bundling-stacks`
 * empty: the constructs are the same, only esbuild does not run) and so is CDK's CloudFormation
 * validation, which `cloudformation-validation.test.ts` runs once: this synth then takes about a second.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { USERNAME_ATTRIBUTE } from '../../src/adapters/identity/cognito/cognito-identity.js';
import { LEEDZ_TABLE } from '../../src/adapters/store/dynamodb/table-definition.js';
import { ROUTES } from '../../src/leedz/functions/routes.js';
import { AWS_ENV } from '../../src/lambda/aws-config.js';
import { OUTBOX_RELAY, OUTBOX_SWEEP_NAME, readDeployables } from '../../infra/deployables.js';
import { apiGatewayPath, IDEMPOTENCY_ACTIONS, LeedzStack, SERVICE_USERS, TABLE_ACTIONS } from '../../infra/leedz-stack.js';
import { OUTBOX_SWEEP } from '../../src/lambda/outbox-sweep.js';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

const { functions, controllers } = readDeployables();
const deployables = [...functions, ...controllers];
const allLambdas = [...deployables.map((d) => d.name), OUTBOX_RELAY, OUTBOX_SWEEP_NAME];
/** The outbox relay and sweep invoke every controller, and are no deployable of the marketplace. */
const outboxLambdas: readonly string[] = [OUTBOX_RELAY, OUTBOX_SWEEP_NAME];

let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@example.com', adminEmail: 'admin@example.com' });
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
function statementsOf(name: string): Statement[] {
  const roleId = resources[lambdaId(name)]!.Properties.Role['Fn::GetAtt'][0] as string;
  return ofType('AWS::IAM::Policy')
    .filter(([, r]) => (r.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement as Statement[]);
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
  it('deploys one Lambda per function, per controller, for the relay and the sweep: nodejs22.x on arm64, its handler and its name in LEEDZ_FUNCTION', () => {
    expect(ofType('AWS::Lambda::Function')).toHaveLength(allLambdas.length);
    for (const deployable of deployables) {
      const fn = resources[lambdaId(deployable.name)]!.Properties;
      expect(fn.Runtime).toBe('nodejs22.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.Handler).toBe(deployable.kind === 'controller' ? 'index.controller' : 'index.http');
      expect(fn.Timeout).toBe(deployable.config.timeoutSeconds ?? 3);
      expect(fn.Environment.Variables[AWS_ENV.function]).toBe(deployable.name);
      expect(fn.Environment.Variables[AWS_ENV.functionPrefix]).toBe('Leedz-');
    }
    expect(resources[lambdaId(OUTBOX_RELAY)]!.Properties.Handler).toBe('index.outboxStream');
    expect(resources[lambdaId(OUTBOX_SWEEP_NAME)]!.Properties.Handler).toBe('index.outboxSweep');
  });

  it('sets every variable the Lambda configuration requires (no deploy that fails at its first cold start)', () => {
    const required = Object.values(AWS_ENV).filter((name) => name !== AWS_ENV.region && name !== AWS_ENV.onFailureDestination);
    const controllerNames = new Set(controllers.map((c) => c.name));
    for (const name of allLambdas) {
      const variables = resources[lambdaId(name)]!.Properties.Environment.Variables as Record<string, unknown>;
      // A controller also names its on-failure destination, for the records of non-retriable errors.
      const expected = controllerNames.has(name) ? [...required, AWS_ENV.onFailureDestination] : required;
      expect(Object.keys(variables).sort()).toEqual([...expected, 'NODE_OPTIONS'].sort());
      expect(variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  it.each(controllers.map((c) => c.name))('%s may send to its own failure queue, the one its asynchronous invocation names', (name) => {
    const variables = resources[lambdaId(name)]!.Properties.Environment.Variables as Record<string, { 'Fn::GetAtt'?: [string, string] }>;
    const queue = variables[AWS_ENV.onFailureDestination]!['Fn::GetAtt']![0];
    expect(resources[queue]!.Type).toBe('AWS::SQS::Queue');
    const sends = withAction(name, 'sqs:SendMessage').flatMap(resourcesOf);
    expect(sends).toEqual([{ 'Fn::GetAtt': [queue, 'Arn'] }]);
    const invokeConfig = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && JSON.stringify(r.Properties.FunctionName).includes(lambdaId(name)))!;
    expect(invokeConfig.Properties.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': [queue, 'Arn'] });
  });
});

describe('least privilege, policy by policy', () => {
  it.each(allLambdas)('%s may invoke exactly the controllers it declares', (name) => {
    const declared = outboxLambdas.includes(name) ? controllers.map((c) => c.name) : deployables.find((d) => d.name === name)!.invokes;
    const invokeStatements = withAction(name, 'lambda:InvokeFunction');
    const granted = invokeStatements.flatMap(resourcesOf).map(invokedName);
    expect(granted.sort()).toEqual(declared.map((target) => `Leedz-${target}`).sort());
    // Every granted ARN names a Lambda of this stack.
    for (const physical of granted) lambdaId(physical.replace(/^Leedz-/, ''));
  });

  it('grants login and reportLeed emailHelper only; emailHelper itself only (its fan-out); bookkeeping nothing', () => {
    const invokes = (name: string) => withAction(name, 'lambda:InvokeFunction').flatMap(resourcesOf).map(invokedName);
    expect(invokes('login')).toEqual(['Leedz-emailHelper']);
    expect(invokes('reportLeed')).toEqual(['Leedz-emailHelper']);
    expect(invokes('emailHelper')).toEqual(['Leedz-emailHelper']);
    expect(invokes('bookkeeping')).toEqual([]);
    expect(invokes('addLeed')).toEqual([]);
  });

  it('has no statement with Resource "*" anywhere', () => {
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        expect(resourcesOf(statement), `${id}: ${JSON.stringify(statement)}`).not.toContain('*');
      }
    }
  });

  it('lets only emailHelper send email: From the stack’s address only, to any identity of the account (SES checks the recipient’s identity in the sandbox)', () => {
    for (const name of allLambdas) {
      const sends = statementsOf(name).filter((s) => actions(s).some((a) => a.startsWith('ses:')));
      if (!(SERVICE_USERS.mailer as readonly string[]).includes(name)) {
        expect(sends, name).toEqual([]);
        continue;
      }
      expect(sends).toHaveLength(1);
      expect(actions(sends[0]!).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
      expect(resourcesOf(sends[0]!)).toEqual([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':identity/*']] },
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

  it('lets only emailHelper use the idempotency table, with the four item actions its records need', () => {
    const idempotencyId = ofType('AWS::DynamoDB::GlobalTable').find(([, r]) => r.Properties.KeySchema[0].AttributeName === 'id')![0];
    const users = allLambdas.filter((name) => JSON.stringify(statementsOf(name)).includes(`"${idempotencyId}"`));
    expect(users).toEqual(['emailHelper']);
    const statements = statementsOf('emailHelper').filter((s) => JSON.stringify(s.Resource).includes(`"${idempotencyId}"`));
    expect(statements.flatMap(actions).sort()).toEqual([...IDEMPOTENCY_ACTIONS].sort());
    expect(statements.flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [idempotencyId, 'Arn'] }]);
  });

  it.each(allLambdas)('%s may use the table exactly as it declares (`table`), on the table and its indexes only', (name) => {
    const tableId = ofType('AWS::DynamoDB::GlobalTable').find(([, r]) => r.Properties.KeySchema[0].AttributeName === LEEDZ_TABLE.partitionKey)![0];
    const declared = outboxLambdas.includes(name) ? 'read-write' : deployables.find((d) => d.name === name)!.config.table;
    // The relay's stream actions are its event source mapping's (on the stream), not its code's.
    const onTable = statementsOf(name).filter((s) => JSON.stringify(s.Resource).includes(`"${tableId}"`) && !JSON.stringify(s.Resource).includes('StreamArn'));
    if (declared === undefined) {
      expect(onTable, name).toEqual([]);
      return;
    }
    expect(onTable).toHaveLength(1);
    expect(actions(onTable[0]!).sort()).toEqual([...TABLE_ACTIONS[declared]].sort());
    expect(resourcesOf(onTable[0]!)).toEqual([
      { 'Fn::GetAtt': [tableId, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/*']] },
    ]);
  });

  it('read-only functions get no write action, and no Lambda gets more than the store sends (no Scan, no batch, no table administration)', () => {
    const writes = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:BatchWriteItem'];
    expect(TABLE_ACTIONS.read.filter((a) => writes.includes(a))).toEqual([]);
    const readers = deployables.filter((d) => d.config.table === 'read').map((d) => d.name);
    expect(readers).toEqual(expect.arrayContaining(['getTrades', 'getStats', 'searchLeedz', 'getLeed', 'getMe', 'getUser']));
    for (const name of readers) expect(statementsOf(name).flatMap(actions).filter((a) => writes.includes(a)), name).toEqual([]);
    const granted = new Set(allLambdas.flatMap((name) => statementsOf(name).flatMap(actions)).filter((a) => a.startsWith('dynamodb:')));
    for (const broad of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem', 'dynamodb:DescribeTable', 'dynamodb:*']) expect(granted.has(broad), broad).toBe(false);
  });
});

describe('asynchronous invocation of the controllers', () => {
  it.each(controllers.map((c) => [c.name, c] as const))('%s: retries and event age as declared, failures to its own SQS queue', (name, controller) => {
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
    expect(ofType('AWS::Lambda::EventInvokeConfig')).toHaveLength(controllers.length + 1);
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
    const rules = ofType('AWS::Events::Rule');
    expect(rules).toHaveLength(1);
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

describe('the HTTP API', () => {
  it('has one route per row of ROUTES, to its function, with payload format 2.0', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(ROUTES.map((route) => `${route.method} ${apiGatewayPath(route)}`).sort());
    for (const route of ROUTES) {
      const [, resource] = routes.find(([, r]) => r.Properties.RouteKey === `${route.method} ${apiGatewayPath(route)}`)!;
      const integrationId = resource.Properties.Target['Fn::Join'][1][1].Ref as string;
      const integration = resources[integrationId]!.Properties;
      expect(integration.IntegrationType).toBe('AWS_PROXY');
      expect(integration.PayloadFormatVersion).toBe('2.0');
      expect(integration.IntegrationUri).toEqual({ 'Fn::GetAtt': [lambdaId(route.function), 'Arn'] });
    }
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
