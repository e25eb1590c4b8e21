/**
 * Eyes on the stack: alarms that email the admin when something fails, and a CloudWatch dashboard
 * that reads like the system works — a request reaches the API, its function answers and commits the
 * outbox, the relay (or the sweep) hands the work to the controllers, and the controllers run it,
 * retry it or give it up to their failure queues.
 *
 * Every alarm is derived from what the stack builds: one per Lambda for errors; throttles for the
 * Lambdas that answer someone (a throttled Event waits in Lambda's queue, and a capped controller is
 * throttled by design during a fan-out: for those, events waiting too long, dropped, or whose
 * failure record could not be delivered); 5xx answers of the API; throttled reads and writes of each
 * table. Missing data is never a breach (a quiet stack is a healthy one).
 *
 * @example
 * new Observability(stack, 'Observability', { api, topic, apiFunctions, controllers, relay: ['outboxRelay', relayFn], sweep: ['outboxSweep', sweepFn], tables, failureQueues });
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** How long an Event may wait in Lambda's queue before the admin hears of it (a controller that must not queue). */
export const EVENT_AGE_ALARM_MINUTES = 15;

export interface ObservabilityProps {
  api: HttpApi;
  /** Where alarms go (the admin's email). */
  topic: Topic;
  /** The request-response functions behind the API, by name. */
  apiFunctions: ReadonlyMap<string, LambdaFunction>;
  /** The controllers, invoked with Event, by name. */
  controllers: ReadonlyMap<string, LambdaFunction>;
  /**
   * How long an Event of these controllers may wait before the alarm, in minutes, where it is not
   * {@link EVENT_AGE_ALARM_MINUTES}: a bulk lane queues by design, paced to the account's sending rate.
   */
  eventAgeAlarmMinutes?: ReadonlyMap<string, number>;
  /** The outbox relay (on the table's stream) and the sweep, by name. */
  relay: readonly [string, LambdaFunction];
  sweep: readonly [string, LambdaFunction];
  /** The tables, by a name for the alarm, with their global secondary indexes. */
  tables: readonly { name: string; table: ITableV2; indexes: readonly string[] }[];
  /** The failure queues (controllers' and the relay's), by a name for the dashboard. */
  failureQueues: ReadonlyMap<string, Queue>;
}

const FIVE_MINUTES = Duration.minutes(5);

export class Observability extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { api, topic, apiFunctions, controllers, relay, sweep } = props;
    const outbox = new Map([relay, sweep]);
    const alarm = (alarmId: string, description: string, metric: IMetric, threshold = 0) => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(topic));
      return created;
    };

    // ── alarms ──────────────────────────────────────────────────────────────
    for (const [name, fn] of [...apiFunctions, ...controllers, ...outbox]) {
      const what = apiFunctions.has(name) ? 'requests answered 500' : controllers.has(name) ? 'events will be retried, or go to the failure queue' : 'outbox messages wait for a retry';
      alarm(`${name}Errors`, `${name}: function errors in the last 5 minutes (${what})`, fn.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM }));
    }
    for (const [name, fn] of [...apiFunctions, ...outbox]) {
      alarm(`${name}Throttles`, `${name}: invocations throttled in the last 5 minutes (the account's or the function's concurrency is spent)`, fn.metricThrottles({ period: FIVE_MINUTES, statistic: Stats.SUM }));
    }
    for (const [name, fn] of controllers) {
      alarm(
        `${name}AsyncEventsDropped`,
        `${name}: Events dropped without running (older than their maximum age, or throttled until then)`,
        fn.metric('AsyncEventsDropped', { period: FIVE_MINUTES, statistic: Stats.SUM }),
      );
      alarm(
        `${name}DestinationDeliveryFailures`,
        `${name}: failure records that could not be delivered to the on-failure destination (the event is lost)`,
        fn.metric('DestinationDeliveryFailures', { period: FIVE_MINUTES, statistic: Stats.SUM }),
      );
      const minutes = props.eventAgeAlarmMinutes?.get(name) ?? EVENT_AGE_ALARM_MINUTES;
      alarm(
        `${name}AsyncEventAge`,
        `${name}: an Event waited over ${minutes} minutes in Lambda's queue (throttled by its cap, or retried)`,
        fn.metric('AsyncEventAge', { period: FIVE_MINUTES, statistic: Stats.MAXIMUM }),
        minutes * 60_000,
      );
    }
    alarm('Api5xx', 'the HTTP API answered 5xx in the last 5 minutes (a function failed, timed out or was throttled)', api.metricServerError({ period: FIVE_MINUTES, statistic: Stats.SUM }));
    for (const { name, table, indexes } of props.tables) {
      alarm(`${name}Throttles`, `${name} table: reads or writes throttled in the last 5 minutes`, tableThrottles(table, indexes));
    }

    // ── the dashboard: request → function → outbox → controllers ───────────
    const per = (fns: ReadonlyMap<string, LambdaFunction>, metric: (fn: LambdaFunction) => IMetric) => [...fns].map(([name, fn]) => withLabel(metric(fn), name));
    const sum = { period: Duration.minutes(1), statistic: Stats.SUM };
    const graph = (title: string, left: IMetric[], width = 8) => new GraphWidget({ title, left, width, height: 6 });
    // Dashboards are global to the account, not regional: the region in the name keeps a stack of the
    // same name in another region from taking this one over (and deleting it with itself).
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${Stack.of(this).stackName}-${Stack.of(this).region}-flow` });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          `# ${Stack.of(this).stackName}: request → controller\n` +
          'A request reaches the **API**; its **function** answers, committing the work it hands off to the outbox or invoking a controller; ' +
          'the **outbox relay** (on the table’s stream) and the **sweep** hand that work to the **controllers**, which run it, retry it, or give it up to their **failure queues**. ' +
          'One post’s request, controllers and batches are one trace in X-Ray.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('API: requests, 4xx, 5xx', [withLabel(api.metricCount(sum), 'requests'), withLabel(api.metricClientError(sum), '4xx'), withLabel(api.metricServerError(sum), '5xx')]),
      graph('API: latency', [withLabel(api.metricLatency({ period: Duration.minutes(1), statistic: Stats.p(50) }), 'p50'), withLabel(api.metricLatency({ period: Duration.minutes(1), statistic: Stats.p(99) }), 'p99')]),
      graph('Functions: throttles', per(apiFunctions, (fn) => fn.metricThrottles(sum))),
    );
    this.dashboard.addWidgets(
      graph('Functions: invocations', per(apiFunctions, (fn) => fn.metricInvocations(sum))),
      graph('Functions: errors', per(apiFunctions, (fn) => fn.metricErrors(sum))),
      graph('Functions: duration p99', per(apiFunctions, (fn) => fn.metricDuration({ period: Duration.minutes(1), statistic: Stats.p(99) }))),
    );
    this.dashboard.addWidgets(
      graph('Outbox: relay and sweep invocations, errors', [...per(outbox, (fn) => fn.metricInvocations(sum)), ...[...outbox].map(([name, fn]) => withLabel(fn.metricErrors(sum), `${name} errors`))]),
      graph('Outbox: relay iterator age (ms)', [withLabel(relay[1].metric('IteratorAge', { period: Duration.minutes(1), statistic: Stats.MAXIMUM }), relay[0])]),
      graph('Failure queues: messages', [...props.failureQueues].map(([name, queue]) => withLabel(queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: Stats.MAXIMUM }), name))),
    );
    this.dashboard.addWidgets(
      graph('Controllers: Events received, invocations', [
        ...per(controllers, (fn) => fn.metric('AsyncEventsReceived', sum)).map((m, i) => withLabel(m, `${[...controllers.keys()][i]} received`)),
        ...per(controllers, (fn) => fn.metricInvocations(sum)),
      ]),
      graph('Controllers: errors, dropped, undelivered records', [
        ...per(controllers, (fn) => fn.metricErrors(sum)),
        ...[...controllers].map(([name, fn]) => withLabel(fn.metric('AsyncEventsDropped', sum), `${name} dropped`)),
        ...[...controllers].map(([name, fn]) => withLabel(fn.metric('DestinationDeliveryFailures', sum), `${name} undelivered`)),
      ]),
      graph('Controllers: oldest Event waiting (ms), concurrency', [
        ...[...controllers].map(([name, fn]) => withLabel(fn.metric('AsyncEventAge', { period: Duration.minutes(1), statistic: Stats.MAXIMUM }), `${name} event age`)),
        ...[...controllers].map(([name, fn]) => withLabel(fn.metric('ConcurrentExecutions', { period: Duration.minutes(1), statistic: Stats.MAXIMUM }), `${name} concurrency`)),
      ]),
    );
    this.dashboard.addWidgets(
      ...props.tables.map(({ name, table, indexes }) =>
        graph(`${name} table: capacity used and throttles`, [
          withLabel(table.metricConsumedReadCapacityUnits(sum), 'read units'),
          withLabel(table.metricConsumedWriteCapacityUnits(sum), 'write units'),
          withLabel(tableThrottles(table, indexes, Duration.minutes(1)), 'throttled'),
        ], 12),
      ),
    );
  }
}

function withLabel(metric: IMetric, label: string): IMetric {
  return metric instanceof Metric || metric instanceof MathExpression ? metric.with({ label }) : metric;
}

/** Reads and writes throttled on a table and its indexes (an index's throttled writes throttle the table's). */
function tableThrottles(table: ITableV2, indexes: readonly string[], period = FIVE_MINUTES): IMetric {
  const metric = (metricName: string, index?: string) =>
    new Metric({
      namespace: 'AWS/DynamoDB',
      metricName,
      dimensionsMap: index === undefined ? { TableName: table.tableName } : { TableName: table.tableName, GlobalSecondaryIndexName: index },
      period,
      statistic: Stats.SUM,
    });
  const usingMetrics: Record<string, IMetric> = { r: metric('ReadThrottleEvents'), w: metric('WriteThrottleEvents') };
  indexes.forEach((index, i) => {
    usingMetrics[`ir${i}`] = metric('ReadThrottleEvents', index);
    usingMetrics[`iw${i}`] = metric('WriteThrottleEvents', index);
  });
  // A series with no data point at a time would make the sum empty there: count it as 0.
  return new MathExpression({ expression: Object.keys(usingMetrics).map((id) => `FILL(${id}, 0)`).join(' + '), usingMetrics, period, label: 'throttled reads and writes' });
}
