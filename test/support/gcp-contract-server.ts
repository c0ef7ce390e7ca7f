/**
 * A local stand-in for Google Cloud APIs, for contract tests of our adapters.
 *
 * Google Cloud is unreachable from the test machines, so adapters are tested against the documented
 * request contracts: the real Node client libraries are pointed at this server (apiEndpoint,
 * baseUrl, servicePath/port with `fallback: 'rest'` or `preferRest` for the gRPC-based clients),
 * the server checks every request (method, path, query, headers, body shape, credentials) and
 * answers as the API would, with JSON shaped like the real API's.
 *
 * How a test uses it:
 *
 * ```ts
 * const isolation = isolateFromGoogle();          // env + a guard: no socket may leave 127.0.0.1
 * const server = await GcpContractServer.start();
 * const key = server.serviceAccountJson({ projectId: 'shop' });   // tokens it signs are accepted here
 * server.route('GET', '/bigquery/v2/projects/:project/datasets', (req) => ({ json: { datasets: [] } }), {
 *   check: (req) => expect(req.query.get('maxResults')).toBe('1000'),
 *   scopes: ['https://www.googleapis.com/auth/bigquery'],
 * });
 * // … call the adapter …
 * server.assertSatisfied();                        // every check passed, every route was called
 * ```
 *
 * Credentials: the server plays Google's OAuth token endpoint at `/token` (a key's `token_uri`
 * points there) and verifies the RS256 assertions it receives against the keys it generated. On
 * API routes it accepts an access token it issued or a self-signed service-account JWT (what GAPIC
 * clients send) signed by one of its keys, and refuses anything else with 401, recording a problem.
 *
 * Later adapters (BigQuery load jobs, Dataflow, Cloud Scheduler, Vertex AI) reuse it: a GAPIC
 * client with `fallback: 'rest'` sends `POST /v1/projects/…:method?$alt=json;enum-encoding=int`
 * with the request message as JSON; reply with the response message as JSON (or a JSON array for
 * server-streaming methods), and errors with {@link googleError}.
 */
import { generateKeyPairSync, randomBytes, randomUUID, verify, type KeyObject } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// ---------------------------------------------------------------- types

/** A request as the server received it. */
export interface ContractRequest {
  method: string;
  /** The path, percent-decoded segment by segment (`/v1/projects/p/databases/(default)/documents:runQuery`). */
  path: string;
  /** The path as sent, still encoded (for object names with `/` in one segment). */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as UTF-8 text. */
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: any;
  /** The body parsed as a form, when it is `application/x-www-form-urlencoded`. */
  form?: URLSearchParams;
  /** `:name` segments of the route that matched. */
  params: Record<string, string>;
  /** Who the Authorization header proves the caller is, when the server could verify it. */
  caller?: Caller;
}

/** A verified caller. */
export interface Caller {
  email: string;
  scopes: string[];
  /** An access token from `/token`, or a JWT the service account signed itself (GAPIC clients). */
  via: 'access_token' | 'self_signed_jwt';
}

/** What the server answers. */
export interface ContractReply {
  /** @defaultValue 200 */
  status?: number;
  headers?: Record<string, string>;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as is (use for media downloads). */
  body?: string | Buffer;
  /** Waits before answering (time limits, cancellation). */
  delayMs?: number;
  /** Closes the connection without an answer (a reset). */
  hangUp?: boolean;
}

export type ReplyFn = (req: ContractRequest) => ContractReply | Promise<ContractReply>;

export interface RouteOptions {
  /** Assertions on the request (jest's `expect` works); a throw is recorded as a problem and answered with 400. */
  check?: (req: ContractRequest) => void;
  /** Exactly this many calls; by default at least one. */
  times?: number;
  /** The route may go uncalled. */
  optional?: boolean;
  /** Whether the request must carry credentials the server verifies. @defaultValue true */
  auth?: boolean;
  /** The caller must hold one of these OAuth scopes (cloud-platform always counts). */
  scopes?: string[];
}

/** A registered route; `calls` are the requests it answered. */
export interface Route {
  readonly method: string;
  readonly path: string | RegExp;
  readonly calls: ContractRequest[];
}

interface RouteEntry extends Route {
  calls: ContractRequest[];
  match: (path: string) => Record<string, string> | undefined;
  reply: ContractReply | ReplyFn;
  options: RouteOptions;
}

/** A service-account key file as Google issues it. */
export interface ServiceAccountKeyFile {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

/** The audience google-auth-library puts in token-exchange assertions, whatever the key's token_uri. */
export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

const CLOCK_SKEW_S = 300;

// ---------------------------------------------------------------- the server

export class GcpContractServer {
  /** Every request, in order, including token exchanges. */
  readonly requests: ContractRequest[] = [];
  /** What went wrong: failed checks, unexpected requests, bad credentials. */
  readonly problems: string[] = [];
  private routes: RouteEntry[] = [];
  private readonly keys = new Map<string, { publicKey: KeyObject; file: ServiceAccountKeyFile }>();
  private readonly tokens = new Map<string, { email: string; scopes: string[] }>();

  private constructor(private readonly server: http.Server, readonly port: number) {}

  /** Starts a server on 127.0.0.1 and a free port. */
  static async start(): Promise<GcpContractServer> {
    let self: GcpContractServer | undefined;
    const server = http.createServer((req, res) => {
      void self!.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    self = new GcpContractServer(server, (server.address() as net.AddressInfo).port);
    return self;
  }

  /** `http://127.0.0.1:PORT`, for apiEndpoint / baseUrl settings. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `127.0.0.1`, for servicePath settings. */
  get host(): string {
    return '127.0.0.1';
  }

  /** The token endpoint's URL (a generated key's `token_uri`). */
  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  /**
   * Registers a route. `path` is exact, with `:name` at the start of a segment matching one
   * segment (`/b/:bucket/o`); colons inside a segment are literal (`documents:runQuery`). A RegExp
   * matches the decoded path; its named groups become params. When several routes match, the
   * first registered that has calls left answers: `times: 1` then a second route makes a sequence.
   */
  route(method: string, path: string | RegExp, reply: ContractReply | ReplyFn, options: RouteOptions = {}): Route {
    const entry: RouteEntry = { method: method.toUpperCase(), path, calls: [], match: matcher(path), reply, options };
    this.routes.push(entry);
    return entry;
  }

  /**
   * A fake service-account key whose `token_uri` points at this server; the server accepts the
   * assertions and self-signed JWTs it signs. One RSA key per email, generated on first use.
   */
  serviceAccountKey(options: { projectId?: string; email?: string } = {}): ServiceAccountKeyFile {
    const projectId = options.projectId ?? 'contract-project';
    const email = options.email ?? `recs-reader@${projectId}.iam.gserviceaccount.com`;
    const known = this.keys.get(email);
    if (known) return { ...known.file, project_id: projectId };
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const file: ServiceAccountKeyFile = {
      type: 'service_account',
      project_id: projectId,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: email,
      client_id: String(BigInt(`0x${randomBytes(8).toString('hex')}`)),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: this.tokenUrl,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
      universe_domain: 'googleapis.com',
    };
    this.keys.set(email, { publicKey, file });
    return file;
  }

  /** {@link serviceAccountKey} as the JSON text a person would paste. */
  serviceAccountJson(options: { projectId?: string; email?: string } = {}): string {
    return JSON.stringify(this.serviceAccountKey(options), null, 2);
  }

  /** Requests other than token exchanges. */
  get apiRequests(): ContractRequest[] {
    return this.requests.filter((req) => !(req.method === 'POST' && req.path === '/token'));
  }

  /**
   * Throws when a check failed, a request matched no route, credentials were refused, or a route
   * was called fewer (or, with `times`, other) times than expected.
   */
  assertSatisfied(): void {
    const problems = [...this.problems];
    for (const route of this.routes) {
      const n = route.calls.length;
      const label = `${route.method} ${String(route.path)}`;
      if (route.options.times !== undefined && n !== route.options.times) problems.push(`${label} was called ${n} times, expected ${route.options.times}`);
      else if (route.options.times === undefined && !route.options.optional && n === 0) problems.push(`${label} was never called`);
    }
    if (problems.length) throw new Error(`The contract server saw ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
  }

  /** Forgets routes, requests and problems (keys and issued tokens stay valid). */
  reset(): void {
    this.routes = [];
    this.requests.length = 0;
    this.problems.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- handling

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.url);
    const text = body.toString('utf8');
    const type = String(req.headers['content-type'] ?? '');
    const request: ContractRequest = {
      method: req.method ?? 'GET',
      path: url.pathname.split('/').map(safeDecode).join('/'),
      rawPath: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      text,
      json: type.includes('json') && text ? tryJson(text) : undefined,
      form: type.includes('x-www-form-urlencoded') ? new URLSearchParams(text) : undefined,
      params: {},
    };
    this.requests.push(request);
    const label = `${request.method} ${request.rawPath}${url.search}`;

    let reply: ContractReply;
    const route = this.routes.find((r) => r.method === request.method && r.match(request.path) && (r.options.times === undefined || r.calls.length < r.options.times));
    try {
      if (route) {
        request.params = route.match(request.path)!;
        if (route.options.auth !== false) {
          const refusal = this.authenticate(request, route.options.scopes);
          if (refusal) {
            this.problems.push(`${label}: ${refusal}`);
            return send(res, googleError(401, refusal));
          }
        }
        route.calls.push(request);
        try {
          route.options.check?.(request);
        } catch (error) {
          const message = (error as Error).message ?? String(error);
          this.problems.push(`${label}: check failed: ${message}`);
          return send(res, googleError(400, `contract check failed: ${message}`));
        }
        reply = typeof route.reply === 'function' ? await route.reply(request) : route.reply;
      } else if (request.method === 'POST' && request.path === '/token') {
        reply = this.exchangeToken(request);
      } else {
        this.problems.push(`${label}: no route for this request`);
        reply = googleError(501, `The contract server has no route for ${request.method} ${request.path}`);
      }
    } catch (error) {
      this.problems.push(`${label}: the reply failed: ${(error as Error).message}`);
      reply = googleError(500, 'The contract server failed to answer');
    }
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (reply.hangUp) {
      req.socket.destroy();
      return;
    }
    send(res, reply);
  }

  /** Google's token endpoint for the JWT-bearer grant (RFC 7523), as google-auth-library uses it. */
  private exchangeToken(req: ContractRequest): ContractReply {
    const form = req.form ?? new URLSearchParams();
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      this.problems.push(`POST /token: unsupported grant_type ${form.get('grant_type')}`);
      return oauthError('unsupported_grant_type', 'Invalid grant_type.');
    }
    const jwt = this.verifyJwt(form.get('assertion') ?? '');
    if (typeof jwt === 'string') {
      this.problems.push(`POST /token: ${jwt}`);
      return oauthError('invalid_grant', jwt);
    }
    const { claims, email } = jwt;
    if (claims.aud !== GOOGLE_TOKEN_AUDIENCE && claims.aud !== this.tokenUrl) {
      this.problems.push(`POST /token: assertion audience ${String(claims.aud)}`);
      return oauthError('invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
    if (scopes.length === 0) {
      this.problems.push('POST /token: the assertion has no scope');
      return oauthError('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    }
    const token = `ya29.contract-${randomUUID()}`;
    this.tokens.set(token, { email, scopes });
    return { json: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
  }

  /** Checks the Authorization header; returns why it is refused, or undefined (and sets `caller`). */
  private authenticate(req: ContractRequest, scopes: string[] | undefined): string | undefined {
    const header = String(req.headers.authorization ?? '');
    const match = /^Bearer (.+)$/.exec(header);
    if (!match) return 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.';
    const token = match[1]!;
    const issued = this.tokens.get(token);
    if (issued) {
      req.caller = { ...issued, via: 'access_token' };
    } else {
      const jwt = this.verifyJwt(token);
      if (typeof jwt === 'string') return `Request had invalid authentication credentials (${jwt}).`;
      const claimed = typeof jwt.claims.scope === 'string' ? jwt.claims.scope.split(' ').filter(Boolean) : [];
      req.caller = { email: jwt.email, scopes: claimed, via: 'self_signed_jwt' };
    }
    if (scopes && !req.caller.scopes.some((scope) => scope === CLOUD_PLATFORM_SCOPE || scopes.includes(scope))) {
      return `Request had insufficient authentication scopes (${req.caller.scopes.join(' ') || 'none'}; wants one of ${scopes.join(' ')}).`;
    }
    return undefined;
  }

  /** Verifies an RS256 JWT signed by one of this server's keys; returns its claims or why not. */
  private verifyJwt(jwt: string): { claims: Record<string, unknown>; email: string } | string {
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'not a JWT';
    const header = tryJson(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: string; kid?: string } | undefined;
    const claims = tryJson(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown> | undefined;
    if (!header || !claims) return 'the JWT does not decode';
    if (header.alg !== 'RS256') return `the JWT is signed with ${header.alg}, not RS256`;
    const email = String(claims.iss ?? '');
    const key = this.keys.get(email);
    if (!key) return `the JWT issuer ${email} is not a service account of this server`;
    if (header.kid !== undefined && header.kid !== key.file.private_key_id) return 'the JWT names another key id';
    const signed = verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), key.publicKey, Buffer.from(parts[2]!, 'base64url'));
    if (!signed) return 'Invalid JWT Signature.';
    const now = Date.now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp < now - CLOCK_SKEW_S) return 'the JWT has expired';
    if (typeof claims.iat !== 'number' || claims.iat > now + CLOCK_SKEW_S) return 'the JWT is issued in the future';
    return { claims, email };
  }
}

// ---------------------------------------------------------------- replies

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION', 416: 'OUT_OF_RANGE', 429: 'RESOURCE_EXHAUSTED', 499: 'CANCELLED', 500: 'INTERNAL', 501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};
const LEGACY_REASONS: Record<number, string> = {
  400: 'invalid', 401: 'authError', 403: 'forbidden', 404: 'notFound', 409: 'duplicate', 412: 'conditionNotMet',
  416: 'requestedRangeNotSatisfiable', 429: 'rateLimitExceeded', 500: 'backendError', 501: 'notImplemented', 503: 'backendError',
};

/**
 * A Google API error body, as both kinds of client read it: `error.errors[].reason` (BigQuery,
 * Cloud Storage: the JSON API's legacy form) and `error.status` with `details` (REST transcoding of
 * gRPC APIs: Firestore, Secret Manager, Dataflow, Scheduler, Vertex AI).
 *
 * @param options.status - the canonical status when it differs from the HTTP status's usual one
 *   (e.g. `FAILED_PRECONDITION` with 400).
 * @param options.reason - the legacy reason (`accessDenied`, `accessNotConfigured`) and, with
 *   `domain`, an ErrorInfo detail (`SERVICE_DISABLED`, `googleapis.com`).
 */
export function googleError(
  httpStatus: number,
  message: string,
  options: { status?: string; reason?: string; domain?: string; errorInfoReason?: string; metadata?: Record<string, string> } = {},
): ContractReply {
  const status = options.status ?? STATUS_NAMES[httpStatus] ?? 'UNKNOWN';
  const details = options.errorInfoReason
    ? [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: options.errorInfoReason, domain: options.domain ?? 'googleapis.com', metadata: options.metadata ?? {} }]
    : undefined;
  return {
    status: httpStatus,
    json: {
      error: {
        code: httpStatus,
        message,
        errors: [{ message, domain: 'global', reason: options.reason ?? LEGACY_REASONS[httpStatus] ?? 'unknown' }],
        status,
        ...(details && { details }),
      },
    },
  };
}

/** An OAuth token-endpoint error (`invalid_grant`, …), as oauth2.googleapis.com answers. */
export function oauthError(error: string, description: string, httpStatus = 400): ContractReply {
  return { status: httpStatus, json: { error, error_description: description } };
}

function send(res: ServerResponse, reply: ContractReply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let payload: Buffer | string = '';
  if (reply.json !== undefined) {
    payload = JSON.stringify(reply.json);
    headers['content-type'] ??= 'application/json; charset=UTF-8';
  } else if (reply.body !== undefined) {
    payload = reply.body;
  }
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status ?? 200, headers);
  res.end(payload);
}

function matcher(pattern: string | RegExp): (path: string) => Record<string, string> | undefined {
  if (pattern instanceof RegExp) {
    return (path) => {
      const m = pattern.exec(path);
      return m ? { ...m.groups } : undefined;
    };
  }
  const names: string[] = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      const param = /^:([A-Za-z_][A-Za-z0-9_]*)(.*)$/.exec(segment);
      if (!param) return escapeRegExp(segment);
      names.push(param[1]!);
      return `([^/]+?)${escapeRegExp(param[2]!)}`;
    })
    .join('/');
  const regex = new RegExp(`^${source}$`);
  return (path) => {
    const m = regex.exec(path);
    if (!m) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, m[i + 1]!]));
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function tryJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- keeping clients local

/** A port on 127.0.0.1 with nothing listening (connections are refused). */
export async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** What {@link isolateFromGoogle} changed, and the connections it stopped. */
export interface Isolation {
  /** `host:port` of every connection attempt that would have left the machine's loopback. */
  readonly blocked: string[];
  /** Throws if any connection was blocked. */
  assertNoEscapes(): void;
  /** Puts the environment and `net.Socket#connect` back. */
  restore(): void;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1']);

/** Variables that would send a Google client elsewhere than where the test points it. */
const CLEARED = [
  'GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT', 'GOOGLE_CLOUD_UNIVERSE_DOMAIN', 'GOOGLE_CLOUD_QUOTA_PROJECT',
  'FIRESTORE_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST', 'BIGQUERY_EMULATOR_HOST', 'PUBSUB_EMULATOR_HOST', 'DATASTORE_EMULATOR_HOST',
  'FIRESTORE_PREFER_REST', 'GOOGLE_SDK_NODE_LOGGING', 'GOOGLE_SDK_NODE_ENABLE_TRACING',
  'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'NO_PROXY', 'no_proxy',
];

/**
 * Keeps Google's clients on this machine for the duration of a test file:
 * - clears the variables that name credentials, emulators, proxies or another universe;
 * - points the metadata server at a closed local port and turns its detection off
 *   (`METADATA_SERVER_DETECTION=none`), and gcloud's config at an empty folder, so Application
 *   Default Credentials find nothing;
 * - wraps `net.Socket#connect` so that any connection to a host other than loopback fails at once
 *   and is recorded in `blocked` (assert it stays empty).
 */
export function isolateFromGoogle(metadataPort = 9): Isolation {
  const saved = new Map<string, string | undefined>();
  const set = (name: string, value: string | undefined) => {
    if (!saved.has(name)) saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  for (const name of CLEARED) set(name, undefined);
  set('GCE_METADATA_HOST', `127.0.0.1:${metadataPort}`);
  set('GCE_METADATA_IP', `127.0.0.1:${metadataPort}`);
  set('METADATA_SERVER_DETECTION', 'none');
  set('CLOUDSDK_CONFIG', path.join(os.tmpdir(), `no-gcloud-${process.pid}`));

  const blocked: string[] = [];
  const proto = net.Socket.prototype as unknown as { connect: (...args: unknown[]) => net.Socket };
  const original = proto.connect;
  proto.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const target = connectTarget(args);
    if (target && !LOOPBACK.has(target.host)) {
      const where = `${target.host}:${target.port}`;
      blocked.push(where);
      const error = Object.assign(new Error(`Contract tests may not connect to ${where}: only 127.0.0.1 is allowed`), { code: 'ECONNREFUSED' });
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return original.apply(this, args);
  };

  return {
    blocked,
    assertNoEscapes() {
      if (blocked.length) throw new Error(`Connections left the machine: ${blocked.join(', ')}`);
    },
    restore() {
      proto.connect = original;
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}

/** The host and port of `socket.connect(...)`'s arguments (options object, or port and host); undefined for IPC paths. */
function connectTarget(args: unknown[]): { host: string; port: string } | undefined {
  let first = args[0];
  // net.connect() passes its normalised [options, callback] pair as one array.
  if (Array.isArray(first)) first = first[0];
  if (first && typeof first === 'object') {
    const o = first as { host?: string; port?: number | string; path?: string };
    if (o.path) return undefined;
    return { host: o.host ?? 'localhost', port: String(o.port ?? '') };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const host = typeof args[1] === 'string' ? args[1] : 'localhost';
    return { host, port: String(first) };
  }
  return undefined;
}
