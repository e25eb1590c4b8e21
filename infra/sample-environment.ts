/**
 * The variables the stack gives a Lambda, with sample values that name no reachable service: what a
 * bundle needs to load outside AWS (none of it is contacted while a module loads). The bundle tests
 * (test/lambda/bundle.test.ts) and the import benchmark (bench/lambda-import.ts) load every bundle so.
 *
 * @example
 * process.env = { ...process.env, ...sampleLambdaEnvironment('emailHelperBulk') }; // LEEDZ_FUNCTION=emailHelper
 */
import { AWS_ENV } from '../src/lambda/aws-config.js';
import { lambdaSpecs } from './lambda-specs.js';

const SAMPLE_FAILURE_DESTINATION = 'arn:aws:sqs:us-east-1:123456789012:Leedz-failures';

/**
 * A Lambda's variables; a controller's lane (emailHelperBulk) names its controller's code, as the
 * stack does. `failureDestination`: a controller's on-failure queue too (its entry then delivers
 * failure records there itself, so leave it out where a failure is provoked).
 */
export function sampleLambdaEnvironment(name: string, options: { failureDestination?: boolean } = {}): Record<string, string> {
  const { controllers, lanes } = lambdaSpecs();
  const code = lanes.find((lane) => lane.name === name)?.runs ?? name;
  return {
    [AWS_ENV.function]: code,
    [AWS_ENV.functionPrefix]: 'Leedz-',
    [AWS_ENV.region]: 'us-east-1',
    [AWS_ENV.tableName]: 'Leedz-Table',
    [AWS_ENV.idempotencyTableName]: 'Leedz-Idempotency',
    [AWS_ENV.mailFrom]: 'no-reply@leedz.io',
    [AWS_ENV.userPoolId]: 'us-east-1_Ab12Cd34E',
    [AWS_ENV.userPoolClientId]: '1example23456789',
    [AWS_ENV.placeIndexName]: 'Leedz-places',
    [AWS_ENV.squareSecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:SquareKeys-AbCdEf',
    [AWS_ENV.publicUrl]: 'https://r4nd0m1d.execute-api.us-east-1.amazonaws.com',
    [AWS_ENV.adminEmail]: 'admin@leedz.io',
    ...(options.failureDestination === true && controllers.some((c) => c.name === code) ? { [AWS_ENV.onFailureDestination]: SAMPLE_FAILURE_DESTINATION } : {}),
  };
}
