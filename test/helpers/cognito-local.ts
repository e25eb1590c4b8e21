/**
 * `cognito-local` for the tests (the code and its specifics live in `src/server/emulators.ts`).
 *
 * @example
 * const cognito = await startCognitoLocal();
 * const client = new CognitoIdentityProviderClient(cognito.clientConfig);
 * cognito.issuer(userPoolId); // → 'http://127.0.0.1:41234/local_AbCd1234'
 * await cognito.stop();
 */
export { freePort, startCognitoLocal, type CognitoLocal } from '../../src/server/emulators.js';
