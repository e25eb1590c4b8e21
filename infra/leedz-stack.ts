/**
 * The Leedz on AWS: an HTTP API (API Gateway v2) in front of one Lambda per request-response
 * function, one Lambda per controller (asynchronous invocation with the retries, maximum event age
 * and on-failure queue the controller declares), the DynamoDB table with the stream that drives the
 * outbox relay, SES, Amazon Location, Cognito and the Square keys in Secrets Manager.
 *
 * Everything that can be read from the code is: the routes come from `ROUTES`, the functions and
 * their settings from the marketplace's own definitions (`readDeployables`), the table from the
 * store's table definition, the environment variable names from the Lambda configuration. Least
 * privilege follows the declarations: a function may invoke exactly the controllers it declares
 * (`invokes`) and use the table as it declares (`table`: the actions its code sends, or none), never
 * `Resource: "*"`.
 *
 * In parts: what each Lambda is and may use (`infra/lambda-specs.ts`), the data and the services
 * with their grants (`infra/stack-services.ts`), the HTTP API's routes and stage
 * (`infra/http-api.ts`), alarms and the dashboard (`infra/observability.ts`); this file puts them
 * together with the Lambdas, their asynchronous settings and the outbox relay. Every resource is
 * created in the stack's own scope, whichever file creates it, so no logical id depends on the split.
 *
 * @example
 * new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@example.com', adminEmail: 'admin@example.com', lambdaConcurrency: 1000 });
 */
import { Annotations, ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { DEPLOYED_FUNCTION } from '../src/framework/deployment.js';
import { Architecture, Code, FilterCriteria, FilterRule, Function as LambdaFunction, type IFunction, Runtime, StartingPosition, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LambdaDestination, SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SECRET_KEY_PREFIX } from '../src/adapters/store/dynamodb/dynamodb-items.js';
import { LEEDZ_TABLE } from '../src/adapters/store/dynamodb/table-definition.js';
import { LEEDZ_ENDED_SCHEDULE } from '../src/leedz/controllers/bookkeeping.js';
import { LANES } from '../src/leedz/controllers/mail-lanes.js';
import { AWS_ENV } from '../src/lambda/aws-config.js';
import { OUTBOX_SORT_KEY } from '../src/lambda/dynamodb-outbox.js';
import { OUTBOX_SWEEP } from '../src/lambda/outbox-sweep.js';
import { squareNotificationUrl } from '../src/lambda/ports/square.js';
import { OUTBOX_RELAY } from './deployables.js';
import type { ConcurrencyPlan } from './edge-limits.js';
import { addApiRoutes } from './http-api.js';
import { type LambdaSpec, lambdaSpecs, SECRET_READERS, SERVICE_USERS, tableActions } from './lambda-specs.js';
import { planLambdaCaps, unplannedMailSenders, type MailRatePlan } from './mail-rate.js';
import { Observability } from './observability.js';
import { addMailFeedback, addServices, addTables, grantServices } from './stack-services.js';
import { WebSite } from './web-site.js';

/** Where a Lambda's code comes from when the stack is built without bundles (tests of the template): never deployed. */
const NOT_BUNDLED = Code.fromInline('export const handler = () => { throw new Error("synthesised without bundles"); };');

export interface LeedzStackProps extends StackProps {
  /** The address emails come from; the stack creates its SES identity (verify it by the link SES emails). */
  mailFrom: string;
  /**
   * `create` (the default): the stack creates the SES identity of `mailFrom`. `existing`: SES has a
   * verified identity for it already (the address, or its domain with Easy DKIM, which signs the
   * mail), made by the operator or another stack; this stack neither creates nor deletes it.
   */
  mailIdentity?: 'create' | 'existing';
  /** Who receives reports of leedz and the alarms. */
  adminEmail: string;
  /**
   * Base URL of links in emails, and the only origin whose pages may write through the API: where the
   * web app is served. When omitted, the custom domain's URL, else the distribution's, else (no web
   * app) the HTTP API's own.
   */
  publicUrl?: string;
  /**
   * The web app's own domain, served by its CloudFront distribution with this ACM certificate (from
   * us-east-1, whatever the stack's region). Its DNS points at the distribution's domain name
   * (output `DistributionDomainName`). Needs `webSiteDir`.
   */
  customDomain?: { domainName: string; certificateArn: string };
  /** SES sends per second for the account: 1 in the SES sandbox, 14 or more in production. */
  sesMaxSendRate?: number;
  /**
   * The account's Lambda concurrency in the region (`aws lambda get-account-settings` →
   * `AccountLimit.ConcurrentExecutions`): the controllers' caps and the API's throttle are derived
   * from it (`infra/edge-limits.ts`). No default: a guess above the account's quota fails the deploy.
   */
  lambdaConcurrency: number;
  squareEnvironment?: 'sandbox' | 'production';
  /**
   * Each Lambda's code, by name (`bundleLambdas` in `infra/lambda-bundles.ts`); the stack needs one
   * for every Lambda it builds. Without it (tests of the template) the code is a placeholder.
   */
  lambdaBundles?: ReadonlyMap<string, { dir: string }>;
  /**
   * The web app as static files (`writeWebSite`): served from S3 by CloudFront, with the API at
   * `/api/*` of the same distribution, whose URL becomes the default `publicUrl`. Without it the
   * stack deploys the API alone.
   */
  webSiteDir?: string;
}

export class LeedzStack extends Stack {
  readonly functions = new Map<string, LambdaFunction>();
  /** How SES's rate is shared between the mail Lambdas and their containers (`infra/mail-rate.ts`). */
  readonly mailRate: MailRatePlan;
  /** The reserved concurrency of each capped Lambda, and what the API keeps (`infra/edge-limits.ts`). */
  readonly concurrency: ConcurrencyPlan;
  readonly api: HttpApi;
  readonly webSite: WebSite | undefined;

  constructor(scope: Construct, id: string, props: LeedzStackProps) {
    super(scope, id, props);
    const { functions, controllers, lanes, relay, sweep } = lambdaSpecs();
    const everyone = [...functions, ...controllers, relay, sweep];
    for (const [service, names] of Object.entries(SERVICE_USERS)) {
      for (const name of names) {
        if (!everyone.some((d) => d.name === name)) throw new Error(`SERVICE_USERS.${service}: no deployable is named "${name}"`);
      }
    }
    for (const name of SECRET_READERS) if (!everyone.some((d) => d.name === name)) throw new Error(`SECRET_READERS: no deployable is named "${name}"`);
    const prefix = `${this.stackName}-`;
    // Built from the name, not from the function's attributes: a controller that invokes itself
    // would otherwise make its policy depend on its own ARN (a cycle CloudFormation refuses).
    const arnOf = (name: string) =>
      this.formatArn({ service: 'lambda', resource: 'function', resourceName: `${prefix}${name}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    // ── data, and the services behind the ports ──────────────────────────────
    const { table, idempotencyTable } = addTables(this);
    const services = addServices(this, { prefix, mailFrom: props.mailFrom, mailIdentity: props.mailIdentity });
    const { placeIndex, squareKeys, userPool, userPoolClient } = services;

    // ── alarms go to the admin ───────────────────────────────────────────────
    const alarms = new Topic(this, 'Alarms', { enforceSSL: true });
    alarms.addSubscription(new EmailSubscription(props.adminEmail));

    // ── one Lambda per deployable, from one bundle ───────────────────────────
    this.api = new HttpApi(this, 'Api', { apiName: `${prefix}api` });
    // What fans out (the controllers and their lanes) is capped, so the API's functions always keep
    // the rest; the mail Lambdas' caps are what share SES's rate between their containers.
    const { concurrency, mail, warnings } = planLambdaCaps(props.lambdaConcurrency, props.sesMaxSendRate ?? 1, { functions, controllers, lanes });
    for (const [index, warning] of warnings.entries()) Annotations.of(this).addWarningV2(index === 0 ? 'leedz:lambda-concurrency' : 'leedz:mail-rate', warning);
    unplannedMailSenders(SERVICE_USERS.mailer, mail);
    this.mailRate = mail;
    this.concurrency = concurrency;
    // The SES configuration set every email is sent with: its events report bounces and complaints.
    const configurationSetName = `${prefix}mail`;
    if (props.customDomain !== undefined && props.webSiteDir === undefined) throw new Error(`customDomain ${props.customDomain.domainName} is the web app's: give webSiteDir too`);
    this.webSite =
      props.webSiteDir === undefined ? undefined : new WebSite(this, 'Web', { api: this.api, siteDir: props.webSiteDir, ...(props.customDomain === undefined ? {} : { domain: props.customDomain }) });
    // Links in emails, and the URL Square signs each webhook with: the payment function checks the
    // signature against this URL, so the webhook must be registered at exactly this one (an output).
    const publicUrl = props.publicUrl ?? this.webSite?.url ?? this.api.apiEndpoint;
    const environment: Record<string, string> = {
      [AWS_ENV.functionPrefix]: prefix,
      [AWS_ENV.tableName]: table.tableName,
      [AWS_ENV.idempotencyTableName]: idempotencyTable.tableName,
      [AWS_ENV.mailFrom]: props.mailFrom,
      [AWS_ENV.sesMaxSendRate]: String(props.sesMaxSendRate ?? 1),
      [AWS_ENV.userPoolId]: userPool.userPoolId,
      [AWS_ENV.userPoolClientId]: userPoolClient.userPoolClientId,
      [AWS_ENV.placeIndexName]: placeIndex.indexName,
      [AWS_ENV.squareSecretArn]: squareKeys.secretArn,
      [AWS_ENV.squareEnvironment]: props.squareEnvironment ?? 'sandbox',
      [AWS_ENV.publicUrl]: publicUrl,
      [AWS_ENV.adminEmail]: props.adminEmail,
    };
    /** What a mail Lambda needs to keep within its share of SES's rate (`infra/mail-rate.ts`). */
    const mailEnvironment = (name: string): Record<string, string> => {
      if (name === mail.priority.lambda) {
        // The planner of the fan-out sizes its batches for the bulk Lambda's pace and timeout.
        return { [AWS_ENV.sesSendRate]: String(mail.priority.ratePerContainer), [AWS_ENV.fanOutBatchSize]: String(mail.bulk.batchSize), [AWS_ENV.sesConfigurationSet]: configurationSetName };
      }
      if (name === mail.bulk.lambda) return { [AWS_ENV.sesSendRate]: String(mail.bulk.ratePerContainer), [AWS_ENV.sesConfigurationSet]: configurationSetName };
      return {};
    };
    const lambdaOf = (deployable: LambdaSpec) => {
      const bundle = props.lambdaBundles?.get(deployable.name);
      if (props.lambdaBundles !== undefined && bundle === undefined) throw new Error(`no bundle for the Lambda "${deployable.name}"`);
      // Its own role, writing to its own log group only (not AWS's managed basic role, which may write to any).
      const logGroup = new LogGroup(this, `${deployable.name}Logs`, { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
      const role = new Role(this, `${deployable.name}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
      role.addToPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
      const fn = new LambdaFunction(this, deployable.name, {
        functionName: `${prefix}${deployable.name}`,
        role,
        // One bundle per Lambda, with only what its entry (src/lambda/entries/) imports.
        code: bundle === undefined ? NOT_BUNDLED : Code.fromAsset(bundle.dir),
        // As src/framework/deployment.ts says, which the local runtime reports too (test/infra checks the two agree).
        handler: DEPLOYED_FUNCTION.handler,
        runtime: Runtime.NODEJS_24_X,
        architecture: Architecture.ARM_64,
        memorySize: DEPLOYED_FUNCTION.memorySizeMb,
        timeout: Duration.seconds(deployable.config.timeoutSeconds ?? 3),
        ...(concurrency.reserved.has(deployable.name) ? { reservedConcurrentExecutions: concurrency.reserved.get(deployable.name)! } : {}),
        environment: { ...environment, ...mailEnvironment(deployable.name), [AWS_ENV.function]: deployable.runs ?? deployable.name },
        tracing: Tracing.ACTIVE,
        logGroup,
      });
      if (deployable.invokes.length > 0) {
        // A controller's lanes are the controller: whoever may invoke it may invoke them.
        const targets = deployable.invokes.flatMap((target) => [target, ...(LANES[target] === undefined ? [] : [LANES[target].lambda])]);
        fn.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: targets.map(arnOf) }));
      }
      if (deployable.config.table !== undefined) {
        const tableAndIndexes = [table.tableArn, ...LEEDZ_TABLE.globalSecondaryIndexes.map((gsi) => `${table.tableArn}/index/${gsi.name}`)];
        const actions = tableActions(deployable.config.table);
        fn.addToRolePolicy(new PolicyStatement({ actions, resources: tableAndIndexes }));
        if (!SECRET_READERS.includes(deployable.runs ?? deployable.name)) {
          fn.addToRolePolicy(
            new PolicyStatement({
              effect: Effect.DENY,
              actions,
              resources: tableAndIndexes,
              conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${SECRET_KEY_PREFIX}*`] } },
            }),
          );
        }
      }
      this.functions.set(deployable.name, fn);
      return fn;
    };

    // Behind CloudFront, the API's functions see the viewer's address through the distribution's word, with its secret.
    const originVerify = this.webSite?.originVerify.secretValue.unsafeUnwrap();
    for (const spec of functions) {
      const fn = lambdaOf(spec);
      if (originVerify !== undefined) fn.addEnvironment(AWS_ENV.originVerify, originVerify);
    }
    const failureQueues = new Map<string, Queue>();
    const controllerLambdas = new Map<string, LambdaFunction>();
    // A bulk lane's batches wait their turn at the account's sending rate (a fan-out to thousands takes
    // hours at the sandbox's 1/s): its alarm comes at half its maximum age, before events are dropped.
    const eventAgeAlarmMinutes = new Map<string, number>();
    for (const controller of controllers) {
      const { maximumRetryAttempts = 2, maximumEventAgeSeconds = 21_600, onSuccess, onFailure } = controller.config;
      let failureQueue: Queue | undefined;
      if (onFailure === undefined) {
        failureQueue = new Queue(this, `${controller.name}Failures`, { retentionPeriod: Duration.days(14), encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
        failureQueues.set(controller.name, failureQueue);
        this.alarmOnDepth(`${controller.name}FailuresAlarm`, failureQueue, `${controller.name}: an event failed all its attempts`, alarms);
      }
      // The controller and its lanes: the same code, the same asynchronous settings and failure queue.
      const ownLanes = lanes
        .filter((lane) => lane.runs === controller.name)
        .map((lane) => (lane.name === mail.bulk.lambda ? { ...lane, config: { ...lane.config, timeoutSeconds: mail.bulk.timeoutSeconds } } : lane));
      for (const spec of [controller, ...ownLanes]) {
        const fn = lambdaOf(spec);
        controllerLambdas.set(spec.name, fn);
        if (spec.name === mail.bulk.lambda) eventAgeAlarmMinutes.set(spec.name, Math.round(maximumEventAgeSeconds / 120));
        // A non-retriable error's record is delivered by the controller's entry itself, to the same
        // destination (src/lambda/controller-handler.ts), so it needs to send there too.
        if (failureQueue !== undefined) {
          fn.addEnvironment(AWS_ENV.onFailureDestination, failureQueue.queueArn);
          failureQueue.grantSendMessages(fn);
        } else {
          fn.addEnvironment(AWS_ENV.onFailureDestination, arnOf(onFailure!));
          fn.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [arnOf(onFailure!)] }));
        }
        fn.configureAsyncInvoke({
          retryAttempts: maximumRetryAttempts,
          maxEventAge: Duration.seconds(maximumEventAgeSeconds),
          onFailure: failureQueue === undefined ? new LambdaDestination(this.deployed(onFailure!)) : new SqsDestination(failureQueue),
          ...(onSuccess === undefined ? {} : { onSuccess: new LambdaDestination(this.deployed(onSuccess)) }),
        });
      }
    }

    // ── the outbox relay, on the table's stream, and the sweep behind it ─────
    const relayFn = lambdaOf(relay);
    const relayFailures = new Queue(this, 'OutboxRelayFailures', { retentionPeriod: Duration.days(14), encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
    failureQueues.set(OUTBOX_RELAY, relayFailures);
    this.alarmOnDepth(
      'OutboxRelayFailuresAlarm',
      relayFailures,
      `outbox relay: stream records could not be relayed (their messages stay pending; the outbox sweep re-sends them after ${OUTBOX_SWEEP.olderThanMinutes} minutes)`,
      alarms,
    );
    relayFn.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(0),
        reportBatchItemFailures: true,
        // A message that cannot be invoked must not hold its shard for the stream's 24 hours: a failing
        // batch is split in two until the failing record is alone, which is retried a bounded number
        // of times and for at most an hour; then its pointer goes to the queue. The message itself stays
        // pending in the table, and the sweep below delivers it.
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(1),
        onFailure: new SqsDlq(relayFailures),
        // Only new outbox items reach the relay; every other write to the table is filtered out by Lambda.
        filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT'), dynamodb: { NewImage: { [LEEDZ_TABLE.sortKey]: { S: FilterRule.isEqual(OUTBOX_SORT_KEY) } } } })],
      }),
    );
    // The relay falls behind the stream: messages reach their controllers late, and past the sweep's
    // threshold both may send them (idempotency absorbs the copy, but the delay is the problem).
    this.alarm('OutboxRelayIteratorAgeAlarm', {
      description: `outbox relay: the oldest stream record waited over ${OUTBOX_SWEEP.olderThanMinutes / 2} minutes for 5 minutes (the relay is failing or throttled)`,
      metric: relayFn.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: (OUTBOX_SWEEP.olderThanMinutes / 2) * 60_000,
      evaluationPeriods: 5,
      topic: alarms,
    });
    const sweepFn = lambdaOf(sweep);
    // One run per schedule is enough: a failed run is not retried (the next one comes in minutes), and
    // a run that waited longer than the schedule's period is dropped.
    sweepFn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(OUTBOX_SWEEP.everyMinutes) });
    new Rule(this, 'OutboxSweepSchedule', {
      description: `every ${OUTBOX_SWEEP.everyMinutes} minutes: re-send outbox messages pending for over ${OUTBOX_SWEEP.olderThanMinutes} minutes`,
      schedule: Schedule.rate(Duration.minutes(OUTBOX_SWEEP.everyMinutes)),
      targets: [new LambdaTarget(sweepFn)],
    });
    // A gig that has ended comes off its trade's leedCount (bookkeeping's leedzEnded route); the
    // route's retries and the next run cover a failed one.
    new Rule(this, 'LeedzEndedSchedule', {
      description: `every ${LEEDZ_ENDED_SCHEDULE.everyMinutes} minutes: take the leedz whose gig has ended off their trades' counts`,
      schedule: Schedule.rate(Duration.minutes(LEEDZ_ENDED_SCHEDULE.everyMinutes)),
      targets: [new LambdaTarget(this.deployed('bookkeeping'), { event: RuleTargetInput.fromObject(LEEDZ_ENDED_SCHEDULE.payload) })],
    });

    // ── what each function may use beyond the table ──────────────────────────
    // A controller's lanes use what the controller uses.
    const withLanes = (names: readonly string[]) => names.flatMap((name) => [name, ...lanes.filter((lane) => lane.runs === name).map((lane) => lane.name)]);
    grantServices(this, { ...services, idempotencyTable }, { deployed: (name) => this.deployed(name), withLanes, mailFrom: props.mailFrom, configurationSetName });
    addMailFeedback(this, { configurationSetName, emailHelper: this.deployed('emailHelper') });

    // ── the HTTP API, from ROUTES ────────────────────────────────────────────
    addApiRoutes(this, this.api, { deployed: (name) => this.deployed(name), userPool, userPoolClient, concurrency, sesMaxSendRate: props.sesMaxSendRate ?? 1 });

    // ── eyes on it ───────────────────────────────────────────────────────────
    const pick = (names: readonly { name: string }[]) => new Map(names.map(({ name }) => [name, this.functions.get(name)!]));
    const observability = new Observability(this, 'Observability', {
      api: this.api,
      topic: alarms,
      apiFunctions: pick(functions),
      controllers: controllerLambdas,
      eventAgeAlarmMinutes,
      relay: [relay.name, relayFn],
      sweep: [sweep.name, sweepFn],
      tables: [
        { name: 'Leedz', table, indexes: LEEDZ_TABLE.globalSecondaryIndexes.map((gsi) => gsi.name) },
        { name: 'Idempotency', table: idempotencyTable, indexes: [] },
      ],
      failureQueues,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'Dashboard', { value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${observability.dashboard.dashboardName}` });
    if (this.webSite !== undefined) new CfnOutput(this, 'WebUrl', { value: this.webSite.url, description: 'the web app (and the API under /api)' });
    if (props.customDomain !== undefined) {
      new CfnOutput(this, 'DistributionDomainName', {
        value: this.webSite!.distribution.distributionDomainName,
        description: `point ${props.customDomain.domainName} here: a CNAME record to this name, or a Route 53 alias record to the distribution`,
      });
    }
    new CfnOutput(this, 'UserPoolId', { value: userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: userPoolClient.userPoolClientId });
    new CfnOutput(this, 'SquareKeysSecret', { value: squareKeys.secretArn, description: 'put the Square keys here (JSON) before taking payments' });
    new CfnOutput(this, 'SquareWebhookUrl', {
      value: squareNotificationUrl(publicUrl),
      description: "register this as the Square webhook's notification URL: each notification's signature is checked against it",
    });
    new CfnOutput(this, 'TableName', { value: table.tableName });
  }

  /** The Lambda of a deployable of this stack. */
  deployed(name: string): IFunction {
    const fn = this.functions.get(name);
    if (fn === undefined) throw new Error(`no Lambda named "${name}" in this stack (yet)`);
    return fn;
  }

  private alarmOnDepth(id: string, queue: Queue, description: string, topic: Topic): void {
    this.alarm(id, {
      description: `${description}; its record is in ${queue.node.id}`,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      evaluationPeriods: 1,
      topic,
    });
  }

  /** An alarm that notifies `topic` when `metric` stays above `threshold`; no data is not a breach. */
  private alarm(id: string, options: { description: string; metric: IMetric; threshold: number; evaluationPeriods: number; topic: Topic }): Alarm {
    const alarm = new Alarm(this, id, {
      alarmDescription: options.description,
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(options.topic));
    return alarm;
  }
}
