/**
 * The stack's data and the services behind the marketplace's ports (`src/leedz/ports.ts`): the
 * DynamoDB tables, the SES identity, the Location place index, the Square keys in Secrets Manager,
 * Cognito; what each function may do with them (`SERVICE_USERS` in `infra/lambda-specs.ts`); and
 * SES's bounces and complaints handed to emailHelper. Each is created in the stack's own scope, so
 * its logical id is the one it always had: a table is never replaced by moving code around.
 *
 * @example
 * const { table, idempotencyTable } = addTables(stack);
 * const resources = addServices(stack, { prefix: 'Leedz-', mailFrom: 'no-reply@example.com' });
 * grantServices(stack, { ...resources, idempotencyTable }, { deployed, withLanes, mailFrom, configurationSetName });
 */
import { ArnFormat, Aws, CfnRule, Duration, Fn, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { AccountRecovery, ClientAttributes, FeaturePlan, StringAttribute, UserPool, type UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, EventField, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnPlaceIndex } from 'aws-cdk-lib/aws-location';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ConfigurationSet, EmailIdentity, EmailSendingEvent, EventDestination, Identity } from 'aws-cdk-lib/aws-ses';
import { USERNAME_ATTRIBUTE } from '../src/adapters/identity/cognito/cognito-identity.js';
import { LEEDZ_TABLE } from '../src/adapters/store/dynamodb/table-definition.js';
import { IDEMPOTENCY_ACTIONS, SERVICE_USERS } from './lambda-specs.js';

/**
 * The regions with Amazon Location's place indexes (Places API version 1), from
 * https://docs.aws.amazon.com/location/previous/developerguide/location-regions.html. If Location has
 * come to another region since, add it here. Not `us-gov-west-1`, though Location is there: the stack
 * serves the app through CloudFront, which "is not available in the AWS GovCloud (US) partition"
 * (https://docs.aws.amazon.com/solutions/latest/distributed-load-testing-on-aws/deploy-govcloud.html).
 */
export const PLACE_INDEX_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-2', 'ca-central-1', 'sa-east-1',
  'eu-central-1', 'eu-west-1', 'eu-west-2', 'eu-south-2', 'eu-north-1',
  'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-5', 'ap-northeast-1',
] as const;

/** The marketplace's table (the store's table definition) and the idempotency records' table. */
export function addTables(stack: Stack): { table: TableV2; idempotencyTable: TableV2 } {
  const table = new TableV2(stack, 'Table', {
    partitionKey: { name: LEEDZ_TABLE.partitionKey, type: AttributeType.STRING },
    sortKey: { name: LEEDZ_TABLE.sortKey, type: AttributeType.STRING },
    billing: Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: LEEDZ_TABLE.timeToLiveAttribute,
    dynamoStream: StreamViewType[LEEDZ_TABLE.streamViewType],
    globalSecondaryIndexes: LEEDZ_TABLE.globalSecondaryIndexes.map((gsi) => ({
      indexName: gsi.name,
      partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
      sortKey: { name: gsi.sortKey, type: AttributeType.STRING },
      ...(gsi.projection.type === 'ALL'
        ? { projectionType: ProjectionType.ALL }
        : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...gsi.projection.nonKeyAttributes] }),
    })),
    // The marketplace's data: kept when the stack is deleted or the table leaves the template. Neither
    // setting stops a replacement, though: a change that requires one (the key schema, the logical id)
    // makes CloudFormation create a new, empty table under a new generated name, point every Lambda at
    // it and keep the old one outside the stack
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatereplacepolicy.html).
    // test/infra/replacement-guard.test.ts pins what would; the README says how to migrate instead.
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // Powertools' documented layout (partition key `id`, TTL `expiration`): records spread over
  // partitions by key, which a shared single-table partition would not.
  const idempotencyTable = new TableV2(stack, 'IdempotencyTable', {
    partitionKey: { name: 'id', type: AttributeType.STRING },
    billing: Billing.onDemand(),
    timeToLiveAttribute: 'expiration',
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return { table, idempotencyTable };
}

export interface Services {
  placeIndex: CfnPlaceIndex;
  squareKeys: Secret;
  userPool: UserPool;
  userPoolClient: UserPoolClient;
}

/**
 * SES's identity for `mailFrom` (unless `mailIdentity` is `existing`: one verified already, the
 * address's or its domain's, which another stack or the operator owns), the place index, the Square
 * keys' secret and the user pool with its app client.
 */
export function addServices(stack: Stack, options: { prefix: string; mailFrom: string; mailIdentity?: 'create' | 'existing' | undefined }): Services {
  if (options.mailIdentity !== 'existing') new EmailIdentity(stack, 'MailFrom', { identity: Identity.email(options.mailFrom) });
  // The stack is built for any region, and a place index exists in only some: checked by
  // CloudFormation before it creates anything, rather than a rollback halfway (which leaves the
  // retained table and user pool behind).
  new CfnRule(stack, 'PlaceIndexRegion', {
    assertions: [
      {
        assert: Fn.conditionContains([...PLACE_INDEX_REGIONS], Aws.REGION),
        assertDescription: `Amazon Location has no place index in this region: deploy the Leedz to one of ${PLACE_INDEX_REGIONS.join(', ')}`,
      },
    ],
  });
  const placeIndex = new CfnPlaceIndex(stack, 'Places', {
    indexName: `${options.prefix}places`,
    dataSource: 'Esri',
    pricingPlan: 'RequestBasedUsage',
    // Results are stored (a leed keeps its point), which Location's terms allow only with Storage.
    dataSourceConfiguration: { intendedUse: 'Storage' },
  });
  // Created holding `{}`, never a generated value that looks like keys: until the operator puts the
  // keys in, a payment fails with "Square is not configured" naming this secret (readSquareKeys).
  const squareKeys = new Secret(stack, 'SquareKeys', {
    description: 'Square keys of the Leedz, as JSON: {"accessToken": "…", "locationId": "…", "webhookSignatureKey": "…"}',
    secretObjectValue: {},
  });
  // As the Cognito identity adapter needs it (src/adapters/identity/cognito/cognito-identity.ts):
  // only the server creates users and signs them in (admin API, a password nobody knows), and the
  // marketplace username is a custom attribute that only the server writes: the app client may
  // write the (required) email and nothing else.
  const userPool = new UserPool(stack, 'Users', {
    // Cognito gives a new pool the Essentials plan, billed per monthly active user above Lite; the pool
    // uses none of what Essentials adds (managed login, passwordless and choice-based sign-in, email
    // MFA, password history, access-token customisation)
    // (https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-sign-in-feature-plans.html).
    featurePlan: FeaturePlan.LITE,
    signInAliases: { email: true },
    // Nobody ever types a password: the server sets a random one for each sign-in (32 random bytes and
    // one character of each class), which a strict policy accepts.
    passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
    selfSignUpEnabled: false,
    // No "forgot password": nobody has one, and with the app client's id (public: every ID token's
    // audience) anyone could otherwise make Cognito email codes to any user.
    accountRecovery: AccountRecovery.NONE,
    standardAttributes: { email: { required: true, mutable: true } },
    customAttributes: { [USERNAME_ATTRIBUTE.replace(/^custom:/, '')]: new StringAttribute({ mutable: true, maxLen: 64 }) },
    // Kept as the table is, and replaced as it can be (its schema attributes, how users sign in, its
    // logical id): pinned by test/infra/replacement-guard.test.ts.
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const userPoolClient: UserPoolClient = userPool.addClient('Web', {
    authFlows: { adminUserPassword: true },
    // No hosted UI, no redirect: CDK's defaults (code and implicit grants, a callback to
    // https://example.com) would leave an OAuth door open that nothing here uses.
    disableOAuth: true,
    preventUserExistenceErrors: true,
    generateSecret: false,
    writeAttributes: new ClientAttributes().withStandardAttributes({ email: true }),
    // The session is the ID token and is not refreshed through the port: a day, Cognito's longest.
    idTokenValidity: Duration.days(1),
    // The adapter drops the refresh token; the shortest Cognito allows beside a one-day ID token.
    refreshTokenValidity: Duration.days(1),
  });
  return { placeIndex, squareKeys, userPool, userPoolClient };
}

/** Each service's permission to the deployables that use it (`SERVICE_USERS`), and to nobody else. */
export function grantServices(
  stack: Stack,
  resources: Omit<Services, 'userPoolClient'> & { idempotencyTable: TableV2 },
  options: {
    deployed(name: string): IFunction;
    /** A controller and its lanes (they run its code and use what it uses). */
    withLanes(names: readonly string[]): string[];
    mailFrom: string;
    configurationSetName: string;
  },
): void {
  const { deployed, withLanes } = options;
  // SES authorises a send against the sender's identity and, while the account is in the SES
  // sandbox, against each recipient's identity too (only verified identities may receive there):
  // a grant on the sender's identity alone refuses every sign-in link of a new account
  // (https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html,
  // https://docs.aws.amazon.com/ses/latest/dg/verify-addresses-and-domains.html; seen as
  // "not authorized to perform ses:SendEmail on resource …:identity/<recipient>" in
  // https://github.com/aws/aws-sdk-js/issues/3641). Recipients are not known at deploy time, so the
  // grant covers this account's identities in this region, and the condition pins the From address.
  // Every email is sent with the configuration set, which SES authorises as a resource of its own
  // (https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html): the grant names it.
  const sendEmail = new PolicyStatement({
    // SES v2's SendEmail, with simple content (src/adapters/mailer/ses/ses-mailer.ts): no raw messages.
    actions: ['ses:SendEmail'],
    resources: [
      stack.formatArn({ service: 'ses', resource: 'identity', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
      stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: options.configurationSetName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
    ],
    conditions: { StringEquals: { 'ses:FromAddress': options.mailFrom } },
  });
  for (const name of withLanes(SERVICE_USERS.mailer)) deployed(name).addToRolePolicy(sendEmail);
  for (const name of withLanes(SERVICE_USERS.idempotency)) {
    deployed(name).addToRolePolicy(new PolicyStatement({ actions: [...IDEMPOTENCY_ACTIONS], resources: [resources.idempotencyTable.tableArn] }));
  }
  for (const name of SERVICE_USERS.geocoder) {
    deployed(name).addToRolePolicy(
      new PolicyStatement({ actions: ['geo:SearchPlaceIndexForText'], resources: [resources.placeIndex.attrIndexArn] }),
    );
  }
  for (const name of SERVICE_USERS.payments) resources.squareKeys.grantRead(deployed(name));
  for (const name of SERVICE_USERS.identity) {
    deployed(name).addToRolePolicy(
      new PolicyStatement({
        actions: [
          'cognito-idp:AdminCreateUser',
          'cognito-idp:AdminDeleteUserAttributes',
          'cognito-idp:AdminGetUser',
          'cognito-idp:AdminInitiateAuth',
          'cognito-idp:AdminSetUserPassword',
          'cognito-idp:AdminUpdateUserAttributes',
        ],
        resources: [resources.userPool.userPoolArn],
      }),
    );
  }
}

/** The SES configuration set every email is sent with, whose bounces and complaints reach emailHelper's mailFeedback route. */
export function addMailFeedback(stack: Stack, options: { configurationSetName: string; emailHelper: IFunction }): void {
  // The configuration set publishes bounces and complaints to the default event bus (the only
  // one SES publishes to: https://docs.aws.amazon.com/ses/latest/dg/monitoring-eventbridge.html); a
  // rule hands each to emailHelper as its mailFeedback route, the event's detail as the payload,
  // asynchronously (its retries and failure queue apply), and the route suppresses the addresses
  // of permanent bounces and of complaints (a transient bounce is SES's to retry).
  const mailEvents = new ConfigurationSet(stack, 'MailEvents', { configurationSetName: options.configurationSetName });
  mailEvents.addEventDestination('BouncesAndComplaints', {
    destination: EventDestination.eventBus(EventBus.fromEventBusName(stack, 'DefaultBus', 'default')),
    events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
  });
  new Rule(stack, 'MailFeedback', {
    description: `SES bounces and complaints of the ${options.configurationSetName} configuration set → emailHelper.mailFeedback (no more bulk mail to those addresses)`,
    eventPattern: {
      source: ['aws.ses'],
      detailType: ['Email Bounced', 'Email Complaint Received'],
      detail: { mail: { tags: { 'ses:configuration-set': [options.configurationSetName] } } },
    },
    targets: [new LambdaTarget(options.emailHelper, { event: RuleTargetInput.fromObject({ function: 'mailFeedback', event: EventField.fromPath('$.detail') }) })],
  });
}
