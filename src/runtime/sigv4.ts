/**
 * AWS Signature Version 4, checked the way AWS's own services check it, so that the local runtime's
 * Lambda API accepts exactly the requests Lambda would accept: from the AWS SDK for JavaScript v3,
 * boto3 and the AWS CLI, `curl --aws-sigv4`, signed in the Authorization header or presigned in the
 * query string.
 *
 * The check is split in two because the body arrives after the headers: `begin` does everything
 * that needs no body (shape, clock, scope, key), so a request that will be refused is refused
 * before its body is read; `verify` finishes with the hash of the body. Pure: Node's crypto only,
 * no HTTP framework.
 *
 * Canonical request, string to sign and signing key:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * Dates: https://docs.aws.amazon.com/general/latest/gr/sigv4-date-handling.html
 * Error names, all HTTP 403 on Lambda: https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html
 *
 * @example
 * const verifier = createSigV4Verifier({ lookup: (id) => issued.get(id) });
 * const mark = req.url.indexOf('?');
 * const rawPath = mark < 0 ? req.url : req.url.slice(0, mark);
 * const rawQuery = mark < 0 ? '' : req.url.slice(mark + 1);
 * const pending = verifier.begin({ method: req.method, rawPath, rawQuery, headers: req.headersDistinct });
 * if ('name' in pending) return reply(pending.status, { message: pending.message }, { 'x-amzn-ErrorType': pending.name });
 * const body = await readBody(req);
 * const failure = pending.verify(sha256Hex(body));
 * if (failure) return reply(failure.status, { message: failure.message }, { 'x-amzn-ErrorType': failure.name });
 */
import crypto, { createHash, createHmac, createSecretKey } from 'node:crypto';
import { sameSecret } from '../framework/same-secret.js';

/**
 * A request as it arrived, before any decoding: the signature covers the bytes on the wire.
 *
 * @example
 * const request: SigV4Request = {
 *   method: 'POST',
 *   rawPath: '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn/invocations',
 *   rawQuery: 'Qualifier=%24LATEST',
 *   headers: req.headersDistinct,
 * };
 */
export interface SigV4Request {
  method: string;
  /** The path exactly as received (still percent-encoded), e.g. `/2015-03-31/functions/arn%3Aaws%3A…/invocations`. */
  rawPath: string;
  /** The query string as received, without `?`, still encoded; `''` when there is none. */
  rawQuery: string;
  /**
   * Header names in any case. Pass Node's `req.headersDistinct` (one array entry per header line)
   * rather than `req.headers`: AWS joins a repeated header's values with `,`, while `req.headers`
   * has already joined them with `, ` (a repeated signed header would then never verify).
   */
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A key pair the verifier knows: the secret is what both sides derive the signing key from.
 *
 * @example
 * const issued = new Map<string, Credentials>([['AKIALOCAL0001', { accessKeyId: 'AKIALOCAL0001', secretAccessKey: secret }]]);
 */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials only: the session token that must come with every request they sign. */
  sessionToken?: string;
}

/**
 * Why a request was refused, named and worded as AWS's services word it, so that the SDKs raise
 * the same typed exceptions they raise against AWS. Lambda answers every one of them with HTTP 403,
 * the name in the `x-amzn-ErrorType` header and `{"message": …}` as the body.
 *
 * @example
 * const failure: SigV4Failure = { name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', status: 403 };
 */
export interface SigV4Failure {
  name: 'MissingAuthenticationTokenException' | 'IncompleteSignatureException' | 'UnrecognizedClientException' | 'InvalidSignatureException';
  message: string;
  status: 403;
}

/**
 * A request whose signature checks out as far as it can without the body.
 *
 * @example
 * const failure = pending.verify(sha256Hex(body));
 */
export interface SigV4Pending {
  accessKeyId: string;
  /** The region the client signed for; any region is accepted, since users set AWS_REGION to anything. */
  region: string;
  service: string;
  /**
   * The payload hash the request declares (`x-amz-content-sha256`, or `X-Amz-Content-Sha256` in a
   * presigned query), undefined when it declares none. Never trusted, `UNSIGNED-PAYLOAD` included:
   * the signature covers the header, not the bytes, so a captured request could otherwise be sent
   * again with another body. Only S3 lets a signature leave its payload out; Lambda, like AWS's other
   * services, signs the body's hash (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
   */
  payloadHash: string | undefined;
  /** Finishes the check with the SHA-256 (lower-case hex) of the body as received. Returns undefined when the signature holds. */
  verify(bodySha256Hex: string): SigV4Failure | undefined;
}

/**
 * Checks Signature Version 4 against the credentials it can look up.
 *
 * @example
 * const result = verifier.begin(request);
 * if ('name' in result) return refuse(result);
 */
export interface SigV4Verifier {
  /**
   * Checks everything that does not need the body: the Authorization header's (or the presigned
   * query's) shape, the date (within 5 minutes of `now` for the header form, within
   * `X-Amz-Expires` for a presigned request), the credential scope, that the key is known.
   */
  begin(request: SigV4Request, now?: number): SigV4Failure | SigV4Pending;
  /** How many signing keys were derived (cache misses): lets tests and benchmarks see the cache work. */
  readonly signingKeysDerived: number;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const TERMINATOR = 'aws4_request';
/** AWS's allowed clock skew for a signed request: "Signature expired … (… - 5 min.)". */
const ALLOWED_SKEW_SECONDS = 5 * 60;
/** A presigned request lives at most a week, as the SDKs' presigners enforce (MAX_PRESIGNED_TTL). */
const MAX_EXPIRES_SECONDS = 7 * 24 * 60 * 60;
/** As many signing keys as @smithy/signature-v4 keeps (MAX_CACHE_SIZE): one per key, day and region in use. */
const SIGNING_KEY_CACHE_SIZE = 50;
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

// AWS's own words, as its services answer (each seen from a real endpoint): Lambda's 403 for no
// signature (https://github.com/brefphp/bref/issues/1250) and for an unknown key
// (https://github.com/iann0036/iamlive/issues/58); the order of the checks and the rest of the
// messages as recorded from DynamoDB in dynalite's index.js (https://github.com/mhart/dynalite),
// which also names an unsigned Host InvalidSignatureException.
const MISSING_TOKEN = 'Missing Authentication Token';
const BOTH_FORMS = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.";
const HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
const UNKNOWN_KEY = 'The security token included in the request is invalid.';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * A verifier for one service (`lambda` unless told otherwise).
 *
 * @example
 * const verifier = createSigV4Verifier({ lookup: (id) => issued.get(id) });
 * verifier.begin({ method: 'GET', rawPath: '/2015-03-31/functions/', rawQuery: '', headers: req.headersDistinct });
 */
export function createSigV4Verifier(options: { lookup(accessKeyId: string): Credentials | undefined; service?: string }): SigV4Verifier {
  const service = options.service ?? 'lambda';
  // The signing key depends only on the secret, the day, the region and the service (fixed here),
  // so it is derived once a day per key and region, as AWS's signers do, not four HMACs per request.
  const signingKeys = new Map<string, SigningKey>();
  let derived = 0;

  /** The key used last: a client signs request after request with the same one. */
  let last: { secret: string; day: string; region: string; key: SigningKey } | undefined;

  function signingKey(secret: string, day: string, region: string): SigningKey {
    if (last !== undefined && last.day === day && last.region === region && last.secret === secret) return last.key;
    const key = cachedSigningKey(secret, day, region);
    last = { secret, day, region, key };
    return key;
  }

  function cachedSigningKey(secret: string, day: string, region: string): SigningKey {
    const cacheKey = `${day}\n${region}\n${secret}`;
    const cached = signingKeys.get(cacheKey);
    if (cached !== undefined) return cached;
    derived += 1;
    const key = signingKeyOf(hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), TERMINATOR));
    // Oldest first out: yesterday's keys go as today's arrive.
    if (signingKeys.size >= SIGNING_KEY_CACHE_SIZE) signingKeys.delete(signingKeys.keys().next().value!);
    signingKeys.set(cacheKey, key);
    return key;
  }

  function begin(request: SigV4Request, now = Date.now()): SigV4Failure | SigV4Pending {
    const headers = lowerCaseHeaders(request.headers);
    const query = parseQuery(request.rawQuery);
    const authorization = header(headers, 'authorization');
    const presigned = query.some((parameter) => parameter.name === 'X-Amz-Algorithm');
    if (authorization === undefined && !presigned) return failure('MissingAuthenticationTokenException', MISSING_TOKEN);
    if (authorization !== undefined && presigned) return failure('InvalidSignatureException', BOTH_FORMS);

    const auth = authorization === undefined ? readPresignedQuery(query) : readAuthorizationHeader(authorization, headers);
    if ('status' in auth) return auth;

    const time = parseIsoBasic(auth.date);
    if (time === undefined) {
      return failure('IncompleteSignatureException', `Date must be in ISO-8601 'basic format'. Got '${auth.date}'. See http://en.wikipedia.org/wiki/ISO_8601`);
    }
    const late = checkClock(auth.date, time, auth.expires ?? ALLOWED_SKEW_SECONDS, now);
    if (late !== undefined) return late;

    const signedHeaders = auth.signedHeaders.split(';');
    if (!signedHeaders.includes('host') && !signedHeaders.includes(':authority')) return failure('InvalidSignatureException', HOST_NOT_SIGNED);
    if (auth.algorithm !== ALGORITHM) {
      return failure('IncompleteSignatureException', `Unsupported AWS 'algorithm': '${auth.algorithm}' (only ${ALGORITHM} for now). `);
    }

    const scope = auth.credential.split('/');
    // https://github.com/boto/boto3/issues/1752
    if (scope.length !== 5) {
      return failure(
        'IncompleteSignatureException',
        `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${auth.credential}'`,
      );
    }
    const [accessKeyId, day, region, scopeService, terminator] = scope as [string, string, string, string, string];
    // AWS reports every wrong part of the scope at once, each sentence ending in '. ' (hence the
    // trailing space in "Credential should be scoped to correct service: 'batch'. ",
    // https://github.com/cllunsford/aws-signing-proxy/issues/25).
    let wrongScope = '';
    if (region === '') wrongScope += "Credential should be scoped to a valid region, not ''. ";
    if (scopeService !== service) wrongScope += `Credential should be scoped to correct service: '${service}'. `;
    if (terminator !== TERMINATOR) wrongScope += `Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${terminator}'. `;
    if (day !== auth.date.slice(0, 8)) {
      wrongScope += `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${auth.date.slice(0, 8)}', from '${auth.date}'.`;
    }
    if (wrongScope !== '') return failure('InvalidSignatureException', wrongScope);

    const credentials = options.lookup(accessKeyId);
    if (credentials === undefined) return failure('UnrecognizedClientException', UNKNOWN_KEY);
    // A session token belongs to temporary credentials: one the key was not issued with (the runtime's
    // own key has none) is invalid whatever the signature, and a temporary key needs its token, as on AWS.
    const token = queryValue(query, 'X-Amz-Security-Token') ?? header(headers, 'x-amz-security-token');
    const issued = credentials.sessionToken;
    if (token === undefined || issued === undefined ? token !== issued : !sameSecret(token, issued)) return failure('UnrecognizedClientException', UNKNOWN_KEY);

    // Everything of the canonical request but its last line, the payload hash.
    const canonicalHeaders = signedHeaders.map((name) => `${name}:${canonicalHeaderValue(headerValues(headers, name.toLowerCase()))}\n`).join('');
    const canonicalPrefix =
      `${request.method}\n${canonicalPath(request.rawPath)}\n${canonicalQuery(query, presigned)}\n` + `${canonicalHeaders}\n${auth.signedHeaders}\n`;
    const credentialScope = `${day}/${region}/${scopeService}/${terminator}`;
    const key = signingKey(credentials.secretAccessKey, day, region);
    // Presigners hoist x-amz-* headers into the query under the header's own spelling, so either case.
    const hoisted = presigned ? query.find((parameter) => parameter.name.toLowerCase() === 'x-amz-content-sha256')?.value : undefined;
    const declared = hoisted ?? header(headers, 'x-amz-content-sha256');

    return {
      accessKeyId,
      region,
      service,
      payloadHash: declared,
      verify(bodySha256Hex) {
        // The hash of the bytes received, not the one declared: a lying x-amz-content-sha256, or an
        // UNSIGNED-PAYLOAD that would let anyone change the body, then fails like any other change.
        const canonicalRequest = canonicalPrefix + bodySha256Hex;
        const stringToSign = `${ALGORITHM}\n${auth.date}\n${credentialScope}\n${sha256Hex(canonicalRequest)}`;
        const expected = key.sign(stringToSign);
        if (sameSecret(expected, auth.signature)) return undefined;
        // Lambda, like other AWS services, shows what it signed so a client can find its mistake
        // (e.g. https://github.com/aws/aws-sdk-js/issues/168); neither string holds a secret.
        return failure(
          'InvalidSignatureException',
          `${MISMATCH}\n\nThe Canonical String for this request should have been\n'${canonicalRequest}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`,
        );
      },
    };
  }

  return {
    begin,
    get signingKeysDerived() {
      return derived;
    },
  };
}

// ── Reading the signature ────────────────────────────────────────────────────

interface SignatureFields {
  algorithm: string;
  credential: string;
  signedHeaders: string;
  signature: string;
  /** The request's time stamp, ISO 8601 basic (20261206T010000Z). */
  date: string;
  /** Presigned only: X-Amz-Expires in seconds. */
  expires?: number;
}

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` with its date from X-Amz-Date (or Date). */
function readAuthorizationHeader(authorization: string, headers: SigV4Request['headers']): SignatureFields | SigV4Failure {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  const fields = new Map<string, string>();
  // AWS splits on commas and white space alike: 'Credential= AKID/…' is two items, and the second
  // "not a valid key=value pair" (https://github.com/iann0036/cloud9-sync/issues/10).
  for (const item of space < 0 ? [] : authorization.slice(space + 1).split(/[\s,]+/)) {
    if (item === '') continue;
    const equals = item.indexOf('=');
    if (equals < 0) {
      return failure('IncompleteSignatureException', `'${item}' not a valid key=value pair (missing equal-sign) in Authorization header: '${authorization}'.`);
    }
    fields.set(item.slice(0, equals), item.slice(equals + 1));
  }
  const date = header(headers, 'x-amz-date') ?? header(headers, 'date');
  let missing = '';
  for (const name of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!fields.has(name)) missing += `Authorization header requires '${name}' parameter. `;
  }
  if (date === undefined) missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  if (missing !== '') return failure('IncompleteSignatureException', `${missing}Authorization=${authorization}`);
  return { algorithm, credential: fields.get('Credential')!, signedHeaders: fields.get('SignedHeaders')!, signature: fields.get('Signature')!, date: date! };
}

/** `?X-Amz-Algorithm=…&X-Amz-Credential=…&X-Amz-Date=…&X-Amz-Expires=…&X-Amz-SignedHeaders=…&X-Amz-Signature=…` */
function readPresignedQuery(query: QueryParameter[]): SignatureFields | SigV4Failure {
  let missing = '';
  for (const name of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date']) {
    if (!queryValue(query, name)) missing += `AWS query-string parameters must include '${name}'. `;
  }
  if (missing !== '') return failure('IncompleteSignatureException', `${missing}Re-examine the query-string parameters.`);
  const fields: SignatureFields = {
    algorithm: queryValue(query, 'X-Amz-Algorithm')!,
    credential: queryValue(query, 'X-Amz-Credential')!,
    signedHeaders: queryValue(query, 'X-Amz-SignedHeaders')!,
    signature: queryValue(query, 'X-Amz-Signature')!,
    date: queryValue(query, 'X-Amz-Date')!,
  };
  const expires = queryValue(query, 'X-Amz-Expires');
  if (expires !== undefined) {
    // Worded as S3 words it (AuthorizationQueryParametersError); Lambda documents no message of its own.
    if (!/^\d+$/.test(expires)) return failure('IncompleteSignatureException', 'X-Amz-Expires should be a number');
    fields.expires = Number(expires);
    if (fields.expires > MAX_EXPIRES_SECONDS) {
      return failure(
        'IncompleteSignatureException',
        `X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than ${MAX_EXPIRES_SECONDS} seconds`,
      );
    }
  }
  return fields;
}

/**
 * A request may be at most 5 minutes early (clock skew), and at most 5 minutes late, or for a
 * presigned request X-Amz-Expires seconds late. The messages are AWS's, e.g. "Signature expired:
 * 20160610T180547Z is now earlier than 20160610T180612Z (20160610T181112Z - 5 min.)"
 * (https://github.com/hassy/artillery-dino/issues/2) and "Signature not yet current: … is still
 * later than … (… + 5 min.)" (https://github.com/serverless/enterprise/issues/11).
 */
function checkClock(date: string, time: number, validForSeconds: number, now: number): SigV4Failure | undefined {
  const nowSeconds = Math.floor(now / 1000);
  const seconds = time / 1000;
  if (seconds > nowSeconds + ALLOWED_SKEW_SECONDS) {
    const limit = isoBasic(nowSeconds + ALLOWED_SKEW_SECONDS);
    return failure('InvalidSignatureException', `Signature not yet current: ${date} is still later than ${limit} (${isoBasic(nowSeconds)} + 5 min.)`);
  }
  if (seconds < nowSeconds - validForSeconds) {
    const limit = isoBasic(nowSeconds - validForSeconds);
    return failure('InvalidSignatureException', `Signature expired: ${date} is now earlier than ${limit} (${isoBasic(nowSeconds)} - ${duration(validForSeconds)}.)`);
  }
  return undefined;
}

// ── The canonical request ────────────────────────────────────────────────────

/**
 * Every service but S3 signs the path URI-encoded once more than it is sent, without decoding it
 * first (the SDKs send `%3A` and sign `%253A`; AWS's own expectation shown in
 * https://github.com/aws/aws-sdk-js/issues/853), after removing empty and dot segments as the
 * SDKs do (@smithy/signature-v4 getCanonicalPath, botocore's remove_dot_segments).
 */
function canonicalPath(rawPath: string): string {
  // A client calls a few paths over and over (an Invoke's path names its function): keep their forms.
  const known = canonicalPaths.get(rawPath);
  if (known !== undefined) return known;
  const canonical = canonicalPathUncached(rawPath);
  if (canonicalPaths.size >= CANONICAL_PATHS_KEPT) canonicalPaths.delete(canonicalPaths.keys().next().value!);
  canonicalPaths.set(rawPath, canonical);
  return canonical;
}

const canonicalPaths = new Map<string, string>();
const CANONICAL_PATHS_KEPT = 256;

function canonicalPathUncached(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const leading = rawPath.startsWith('/') || rawPath === '' ? '/' : '';
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return uriEncode(`${leading}${segments.join('/')}${trailing}`).replace(/%2F/g, '/');
}

interface QueryParameter {
  name: string;
  value: string;
}

/** Decoded name-value pairs, in the order received; `a` without `=` has the value ''. */
function parseQuery(rawQuery: string): QueryParameter[] {
  if (rawQuery === '') return [];
  const parameters: QueryParameter[] = [];
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    parameters.push(
      equals < 0 ? { name: uriDecode(pair), value: '' } : { name: uriDecode(pair.slice(0, equals)), value: uriDecode(pair.slice(equals + 1)) },
    );
  }
  return parameters;
}

function queryValue(query: QueryParameter[], name: string): string | undefined {
  return query.find((parameter) => parameter.name === name)?.value;
}

/** Names and values re-encoded with only RFC 3986's unreserved characters left bare, sorted by name then value. */
function canonicalQuery(query: QueryParameter[], presigned: boolean): string {
  const pairs: string[][] = [];
  for (const { name, value } of query) {
    // The signature cannot sign itself.
    if (presigned && name === 'X-Amz-Signature') continue;
    pairs.push([uriEncode(name), uriEncode(value)]);
  }
  pairs.sort(([nameA, valueA], [nameB, valueB]) => compare(nameA!, nameB!) || compare(valueA!, valueB!));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/**
 * The headers keyed by lower-case name. Node's and the Fetch API's headers are keyed so already and
 * are read as they are (building an index of every header cost more than the rest of `begin`); any
 * other object is re-keyed once, a name's values in any case kept apart.
 */
function lowerCaseHeaders(headers: SigV4Request['headers']): SigV4Request['headers'] {
  let lowerCase = true;
  for (const name in headers) {
    if (name !== name.toLowerCase()) {
      lowerCase = false;
      break;
    }
  }
  if (lowerCase) return headers;
  const index: Record<string, string[]> = Object.create(null);
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    (index[key] ??= []).push(...(typeof value === 'string' ? [value] : value));
  }
  return index;
}

/** A header's values by lower-case name; strings only, so a signed header named `constructor` is just absent. */
function headerValues(headers: SigV4Request['headers'], name: string): string | string[] | undefined {
  const value: unknown = headers[name];
  return typeof value === 'string' || Array.isArray(value) ? (value as string | string[]) : undefined;
}

/** A header's first value. */
function header(headers: SigV4Request['headers'], name: string): string | undefined {
  const value = headerValues(headers, name);
  return typeof value === 'string' ? value : value?.[0];
}

/** Trimmed, inner runs of white space collapsed to one space, repeated headers joined with ','. */
function canonicalHeaderValue(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.trim().replace(/\s+/g, ' ');
  return value.map((one) => one.trim().replace(/\s+/g, ' ')).join(',');
}

// ── Small helpers ────────────────────────────────────────────────────────────

function failure(name: SigV4Failure['name'], message: string): SigV4Failure {
  return { name, message, status: 403 };
}

/** A signing key, ready to sign many strings. */
interface SigningKey {
  /** HMAC-SHA256 of `data` in lower-case hex. */
  sign(data: string): string;
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * RFC 2104's HMAC as two one-shot hashes over the key's inner and outer pads, made once per key:
 * about two thirds of the cost of a `createHmac` object per request. The pads are latin1 text, so
 * a pad and an ASCII string to sign hash as one string; any other string (a region spelled outside
 * ASCII) takes `createHmac`, as does a Node without `crypto.hash`.
 */
function signingKeyOf(key: Buffer): SigningKey {
  const keyObject = createSecretKey(key);
  const viaHmac = (data: string) => createHmac('sha256', keyObject).update(data).digest('hex');
  if (typeof crypto.hash !== 'function' || key.length > 64) return { sign: viaHmac };
  const inner = Buffer.alloc(64, 0x36);
  const outer = Buffer.alloc(64, 0x5c);
  for (let i = 0; i < key.length; i++) {
    inner[i]! ^= key[i]!;
    outer[i]! ^= key[i]!;
  }
  const innerPad = inner.toString('latin1');
  const outerPad = outer.toString('latin1');
  return {
    sign(data) {
      if (!ASCII.test(data)) return viaHmac(data);
      const innerHash = crypto.hash('sha256', Buffer.from(innerPad + data, 'latin1'), 'binary');
      return crypto.hash('sha256', Buffer.from(outerPad + innerHash, 'latin1'), 'hex');
    },
  };
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** SHA-256 in hex: the one-shot `crypto.hash` (Node 20.12 and later) where there is one, about twice as fast on short input as a Hash object. */
export const sha256Hex: (data: string | Uint8Array) => string =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data, 'hex') : (data) => createHash('sha256').update(data).digest('hex');


/** RFC 3986 encoding, as SigV4 canonicalizes names and values: encodeURIComponent leaves `!'()*` bare; RFC 3986 (and SigV4) reserves them. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A malformed escape (`%zz`) is kept as written rather than refusing the request here. */
function uriDecode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Recently seen request dates: a client signs many requests within one second, and checking a date
 * (a regex, `Date.UTC`, a round trip through `toISOString`) cost more than the rest of the header work.
 */
const parsedDates = new Map<string, number | undefined>();
const PARSED_DATES_KEPT = 64;

/** Milliseconds since the epoch, or undefined unless exactly YYYYMMDD'T'HHMMSS'Z' and a real instant. */
function parseIsoBasic(date: string): number | undefined {
  if (parsedDates.has(date)) return parsedDates.get(date);
  const time = parseIsoBasicUncached(date);
  if (parsedDates.size >= PARSED_DATES_KEPT) parsedDates.delete(parsedDates.keys().next().value!);
  parsedDates.set(date, time);
  return time;
}

function parseIsoBasicUncached(date: string): number | undefined {
  const match = ISO_BASIC.exec(date);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 20261332 over into 2027; AWS would not.
  return isoBasic(time / 1000) === date ? time : undefined;
}

function isoBasic(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:]|\.\d{3}/g, '');
}

function duration(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} sec`;
}
