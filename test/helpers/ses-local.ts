/**
 * `aws-ses-v2-local` for the tests (the code lives in `src/server/emulators.ts`).
 *
 * @example
 * const ses = await startSesLocal();
 * const client = new SESv2Client(ses.clientConfig);
 * const [email] = await ses.emails();
 * await ses.stop();
 */
export { spawnTied, startSesLocal, stopProcess, type SesLocal, type SesLocalEmail } from '../../src/server/emulators.js';
