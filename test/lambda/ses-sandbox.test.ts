/**
 * A sign-in email that SES refuses for good (in the sandbox: the recipient is not a verified
 * identity, so the sending role is refused on the recipient's identity) fails its event once, with
 * one failure record at the controller's on-failure destination — not three attempts over three
 * minutes, as an ordinary error would be retried.
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSesMailer } from '../../src/adapters/mailer/ses/ses-mailer.js';
import type { DestinationRecord } from '../../src/framework/destination-record.js';
import { errorDetails, type SerializedFunctionError } from '../../src/framework/errors.js';
import { createEmailHelper } from '../../src/leedz/controllers/email-helper.js';
import { createControllerHandler } from '../../src/lambda/controller-handler.js';
import { fixture, lambdaContext, localMarketplace, recordingTransport, type LocalMarketplace } from './fakes.js';

let m: LocalMarketplace;
beforeEach(async () => {
  m = await localMarketplace();
});
afterEach(() => m.close());

it('a magic link the SES sandbox refuses fails once: one attempt, one RetriesExhausted record coded AccessDeniedException', async () => {
  const client = new SESv2Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const ses = mockClient(client);
  ses.on(SendEmailCommand).rejects(
    Object.assign(
      new Error("User `arn:aws:sts::123456789012:assumed-role/Leedz-emailHelperRole/Leedz-emailHelper' is not authorized to perform `ses:SendEmail' on resource `arn:aws:ses:us-east-1:123456789012:identity/pat@example.com'"),
      { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 403 } },
    ),
  );
  const emailHelper = createEmailHelper({ ...m.deps, mailer: createSesMailer({ client, from: 'no-reply@leedz.io', maxSendRate: 1 }) });
  const records: DestinationRecord[] = [];
  const handler = createControllerHandler(emailHelper, recordingTransport(), {
    onFailure: { arn: 'arn:aws:sqs:us-east-1:123456789012:Leedz-emailHelperFailures', deliver: async (record) => void records.push(record) },
  });

  // The entry returns (Lambda sees a success and does not retry) after delivering the record itself.
  expect(await handler(fixture('email-helper-magic-link.json'), lambdaContext('emailHelper', { requestId: 'r-1' }))).toBeNull();
  expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  expect(records).toHaveLength(1);
  const [record] = records;
  expect(record!.requestContext).toMatchObject({ requestId: 'r-1', condition: 'RetriesExhausted', approximateInvokeCount: 1 });
  const error = record!.responsePayload as SerializedFunctionError;
  expect(error.errorType).toBe('NonRetriableError');
  expect(error.errorMessage).toMatch(/^SES refused the email to pat@example.com for good: AccessDeniedException: .*verify the recipient in SES, or request production access/);
  expect(errorDetails(error)).toMatchObject({ code: 'AccessDeniedException', retriable: false });
});
