/**
 * The AWS plumbing of the Lambda entries, beside the marketplace's ports (`ports/`): the Lambda
 * transport that invokes controllers by their deployed names, and the on-failure destination a
 * controller's entry delivers the records of non-retriable errors to.
 *
 * @example
 * const transport = createAwsTransport(config);
 * await transport.invoke('emailHelper', envelope, 'Event'); // invokes Leedz-emailHelper
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Transport } from '../framework/transport.js';
import { createLambdaTransport } from '../transports/lambda-transport.js';
import type { AwsConfig } from './aws-config.js';
import type { FailureDestination } from './controller-handler.js';
import { withFunctionPrefix, withLanes } from './prefixed-transport.js';
import { withCarriedTraces } from './xray.js';

/**
 * The Lambda transport, reaching a deployable by its physical name: the code says `emailHelper`,
 * the stack deploys `<prefix>emailHelper` (and the bulk routes of `emailHelper` go to the Lambda of
 * their lane, `<prefix>emailHelperBulk`). Its client can carry a request's X-Ray trace (`xray.ts`).
 */
export function createAwsTransport(config: AwsConfig, client: LambdaClient = withCarriedTraces(new LambdaClient({ region: config.region }))): Transport {
  return withLanes(withFunctionPrefix(createLambdaTransport({ client }), config.functionPrefix));
}

/**
 * The on-failure destination a controller's entry delivers records to itself (non-retriable errors:
 * `src/lambda/controller-handler.ts`), as Lambda would: an SQS queue gets the record as the message
 * body, a function gets it as an Event.
 */
export function createFailureDestination(arn: string, clients: { sqs?: SQSClient; lambda?: LambdaClient } = {}): FailureDestination {
  // arn:<partition>:<service>:<region>:<account>:<resource>
  const [, partition, service, region, account, ...resource] = arn.split(':');
  if (service === 'sqs') {
    const sqs = clients.sqs ?? new SQSClient({ region });
    const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
    const queueUrl = `https://sqs.${region}.${domain}/${account}/${resource.join(':')}`;
    return {
      arn,
      async deliver(record) {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
      },
    };
  }
  if (service === 'lambda') {
    const lambda = clients.lambda ?? new LambdaClient({ region });
    return {
      arn,
      async deliver(record) {
        await lambda.send(new InvokeCommand({ FunctionName: arn, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(record)) }));
      },
    };
  }
  throw new Error(`on-failure destination ${arn}: only SQS queues and Lambda functions are supported`);
}
