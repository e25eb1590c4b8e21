/**
 * The marketplace's dependencies inside one Lambda: the ports its entry builds (`aws-deps.ts`), and
 * every other port absent — an object whose every method throws, naming the Lambda and the port.
 * The marketplace's factories take all ports, but a function uses a few: `getTrades` reads the table
 * and nothing else, so its Lambda loads no SES, Location, Cognito or Secrets Manager client.
 *
 * A port a function uses but its entry does not build fails on its first call, loudly; the grants
 * follow the same declarations (`test/infra/table-access.test.ts` checks both against the code).
 *
 * @example
 * const deps = lambdaDeps(config, { store: dynamoDbStore, geocoder: locationGeocoder });
 * deps.mailer.send(email); // throws: addLeed has no mailer on AWS: …
 */
import type { Idempotency } from '../framework/idempotency.js';
import { DEFAULT_SETTINGS, type MarketplaceDeps } from '../leedz/deps.js';
import type { Geocoder, Identity, Mailer, Payments, Store } from '../leedz/ports.js';
import type { AwsConfig } from './aws-config.js';

/** How a Lambda builds each port it uses, from its configuration. */
export interface PortBuilders {
  store?: (config: AwsConfig) => Store;
  mailer?: (config: AwsConfig) => Mailer;
  geocoder?: (config: AwsConfig) => Geocoder;
  /** The identity may be built in halves: session checks (API Lambdas), the magic link's tokens (emailHelper). */
  identity?: ((config: AwsConfig) => Partial<Identity>) | readonly ((config: AwsConfig) => Partial<Identity>)[];
  payments?: (config: AwsConfig) => Payments;
  idempotency?: (config: AwsConfig) => Idempotency;
}

/** The dependencies of the Lambda `config.function`: the ports `builders` names, the rest absent. */
export function lambdaDeps(config: AwsConfig, builders: PortBuilders): MarketplaceDeps {
  const absent = <T extends object>(port: string, present: Partial<T> = {}): T =>
    new Proxy(present as T, {
      get(target, method) {
        if (typeof method === 'symbol' || method === 'then' || method in target) return Reflect.get(target, method) as unknown;
        return () => {
          throw new Error(
            `${config.function} has no ${port}${port === 'identity' ? `.${method}` : ''} on AWS: its Lambda is built without it. ` +
              'Add the port to its entry (src/lambda/entries/) and the grant to the stack (SERVICE_USERS in infra/lambda-specs.ts).',
          );
        };
      },
    });
  const identityParts = [builders.identity ?? []].flat().map((build) => build(config));
  return {
    store: builders.store?.(config) ?? absent<Store>('store'),
    mailer: builders.mailer?.(config) ?? absent<Mailer>('mailer'),
    geocoder: builders.geocoder?.(config) ?? absent<Geocoder>('geocoder'),
    identity: absent<Identity>('identity', Object.assign({}, ...identityParts) as Partial<Identity>),
    payments: builders.payments?.(config) ?? absent<Payments>('payments'),
    idempotency: builders.idempotency?.(config) ?? absent<Idempotency>('idempotency'),
    now: () => new Date(),
    settings: { ...DEFAULT_SETTINGS, ...(config.fanOutBatchSize === undefined ? {} : { fanOutBatchSize: config.fanOutBatchSize }), publicUrl: config.publicUrl, adminEmail: config.adminEmail },
  };
}
