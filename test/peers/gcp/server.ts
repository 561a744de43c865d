// The Google Cloud test peer: a loopback HTTP server following the REST contracts of Compute Engine,
// GKE (container v1), Cloud SQL Admin, IAM and Storage Transfer, because no faithful emulator installs
// here (../../../../shared/PEERS.md). Every request is matched to its method in Google's discovery
// documents (discovery.ts) and checked against it, and so is every response it sends: a request that
// breaks the contract gets the 400 the service would send, and both land in `violations`, which the
// suites assert empty. No test-runner imports: vitest suites and Playwright specs share it.
//
// Long-running operations advance when they are polled (get, or wait), never by the clock, so a test
// on a busy machine sees the same PENDING → RUNNING → DONE sequence.

import { createVerify, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { computeHandlers, seedCompute } from './compute';
import { DiscoveryContract, checkErrorBody, type DiscoveryMethod, type GcpService } from './discovery';
import { GoogleApiError, faultError, permissionFor, type FaultKind } from './errors';
import { containerHandlers, iamHandlers, projectHandlers, serviceUsageHandlers, sqlHandlers, transferHandlers } from './services';

export interface Exchange {
  methodId: string;
  httpMethod: string;
  path: string;
  query: string;
  status: number;
  requestBody: unknown;
  responseBody: unknown;
}

export interface Fault {
  /** Discovery method id ('compute.instances.insert') or a test on it; any method when absent. */
  method?: string | RegExp;
  kind: FaultKind;
  /** PERMISSION_DENIED: the permission named (default: derived from the method). */
  permission?: string;
  /** How many matching requests get the fault (default 1). */
  times?: number;
}

export interface OperationFailure {
  method?: string | RegExp;
  code: string;
  message: string;
  times?: number;
}

/** One long-running operation of any service; `wire` is the JSON the service answers. */
export interface PeerOperation {
  service: GcpService;
  name: string;
  wire: Record<string, unknown>;
  polls: number;
  done: boolean;
  /** Applies the operation's effect when it reaches DONE (skipped when it fails). */
  finish: () => void;
  /** Undoes what the start did when it fails (a created resource disappears). */
  rollback?: () => void;
  failWith?: { code: string; message: string };
}

export interface ServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
}

export interface GcpPeerOptions {
  project?: string;
  projectNumber?: string;
  /** Zones served (their regions follow from the names). */
  zones?: string[];
  /** Polls an operation takes to reach DONE (default 2: the first poll says RUNNING). */
  pollsToComplete?: number;
  /**
   * Compute's `wait` counts as one poll, as `get` does, instead of going straight to DONE: what the
   * real `wait` answers when its deadline (about two minutes) passes before the operation ends.
   * Crash proofs use it to kill the console between an insert and its operation's DONE.
   */
  waitReturnsEarly?: boolean;
  /** A loaded contract to share between peers (loading takes a moment). */
  contract?: DiscoveryContract;
}

export interface HandlerContext {
  peer: PeerState;
  method: DiscoveryMethod;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

export type Handler = (ctx: HandlerContext) => unknown;

export interface PeerState {
  project: string;
  projectNumber: string;
  zones: string[];
  regions: string[];
  pollsToComplete: number;
  /** GcpPeerOptions.waitReturnsEarly. */
  waitReturnsEarly: boolean;
  held: boolean;
  contract: DiscoveryContract;
  /** Resources by their relative name ('projects/p/zones/z/instances/vm'). */
  store: Map<string, Record<string, unknown>>;
  operations: Map<string, PeerOperation>;
  /** `project/requestId` → operation name: Compute's requestId deduplication. */
  requestIds: Map<string, string>;
  nextId(): string;
  now(): string;
  startOperation(op: Omit<PeerOperation, 'polls' | 'done'>, methodId: string): PeerOperation;
  /** One poll: PENDING → RUNNING → … → DONE (or `toDone` straight to DONE, as Compute's wait). */
  poll(op: PeerOperation, toDone?: boolean): void;
  checkProject(project: string): void;
  /** APIs enabled on the project ('compute.googleapis.com'); a call to any other answers SERVICE_DISABLED. */
  enabledApis: Set<string>;
}

export interface GcpPeer {
  url: string;
  port: number;
  project: string;
  projectNumber: string;
  readonly exchanges: Exchange[];
  /** Contract breaches seen in requests or responses; suites assert this stays empty. */
  readonly violations: string[];
  readonly contract: DiscoveryContract;
  inject(fault: Fault): void;
  /** Disables an API on the project: its calls answer SERVICE_DISABLED and Service Usage says DISABLED. */
  disableApi(api: string): void;
  enableApi(api: string): void;
  /** The next operation started by a matching method ends DONE with this error. */
  failNextOperation(failure: OperationFailure): void;
  /** While held, operations keep their status however often they are polled. */
  hold(): void;
  release(): void;
  /**
   * Back to a freshly started peer (resources, operations, requestIds, pending faults, every API
   * enabled again; Compute seeded again), as moto's reset: suites that open many clean worlds keep
   * one peer and one set of clients.
   * Exchanges, violations and the service-account keys made by createServiceAccountKey are kept,
   * so a suite still sees every breach and its account still signs in.
   */
  reset(): void;
  /**
   * A service-account key file (the JSON the console downloads) whose self-signed JWTs this peer
   * accepts as bearer tokens; a JWT signed by any other key answers 401.
   */
  createServiceAccountKey(email?: string): ServiceAccountKey;
  /** Purges the deleted custom roles, as IAM does once the days it keeps a deleted role are over. */
  purgeDeletedRoles(): void;
  resource(name: string): Record<string, unknown> | undefined;
  resources(prefix?: string): Record<string, unknown>[];
  operations(): PeerOperation[];
  close(): Promise<void>;
}

const HANDLERS: Record<string, Handler> = {
  ...computeHandlers,
  ...containerHandlers,
  ...sqlHandlers,
  ...iamHandlers,
  ...transferHandlers,
  ...projectHandlers,
  ...serviceUsageHandlers,
};

export const API_OF: Record<GcpService, string> = {
  compute: 'compute.googleapis.com',
  container: 'container.googleapis.com',
  sqladmin: 'sqladmin.googleapis.com',
  iam: 'iam.googleapis.com',
  storagetransfer: 'storagetransfer.googleapis.com',
  cloudresourcemanager: 'cloudresourcemanager.googleapis.com',
  serviceusage: 'serviceusage.googleapis.com',
};

function matches(test: string | RegExp | undefined, id: string): boolean {
  if (test === undefined) return true;
  return typeof test === 'string' ? test === id : test.test(id);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

let sharedContract: DiscoveryContract | undefined;

export async function startGcpPeer(opts: GcpPeerOptions = {}): Promise<GcpPeer> {
  const contract = opts.contract ?? (sharedContract ??= new DiscoveryContract());
  const zones = opts.zones ?? ['us-central1-a', 'us-central1-b', 'europe-west1-b', 'europe-west1-c'];
  let idCounter = 1_000_000_000_000;
  const faults: (Fault & { left: number })[] = [];
  const failures: (OperationFailure & { left: number })[] = [];
  const exchanges: Exchange[] = [];
  const violations: string[] = [];
  const keys = new Map<string, { email: string; publicKey: KeyObject }>();

  const state: PeerState = {
    project: opts.project ?? 'fc-test-project',
    projectNumber: opts.projectNumber ?? '123456789012',
    zones,
    regions: [...new Set(zones.map((z) => z.replace(/-[a-z]$/, '')))],
    pollsToComplete: opts.pollsToComplete ?? 2,
    waitReturnsEarly: opts.waitReturnsEarly ?? false,
    held: false,
    contract,
    enabledApis: new Set(Object.values(API_OF)),
    store: new Map(),
    operations: new Map(),
    requestIds: new Map(),
    nextId: () => String(++idCounter * 1000 + Math.floor(Math.random() * 1000)),
    now: () => new Date().toISOString(),
    startOperation(op, methodId) {
      const failure = failures.find((f) => f.left > 0 && matches(f.method, methodId));
      if (failure) failure.left--;
      const full: PeerOperation = { ...op, polls: 0, done: false, failWith: failure && { code: failure.code, message: failure.message } };
      state.operations.set(full.name, full);
      return full;
    },
    poll(op, toDone = false) {
      if (op.done || state.held) return;
      op.polls++;
      if (op.polls < state.pollsToComplete && !toDone) {
        op.wire.status = 'RUNNING';
        if (op.service === 'compute') op.wire.startTime ??= state.now();
        return;
      }
      op.done = true;
      op.wire.status = 'DONE';
      if (op.service === 'compute' || op.service === 'container' || op.service === 'sqladmin') {
        op.wire.startTime ??= state.now();
        op.wire.endTime = state.now();
      }
      if (op.service === 'compute') op.wire.progress = 100;
      if (op.failWith) {
        op.rollback?.();
        const { code, message } = op.failWith;
        if (op.service === 'compute') op.wire.error = { errors: [{ code, message }] };
        else if (op.service === 'sqladmin') {
          op.wire.error = { kind: 'sql#operationErrors', errors: [{ kind: 'sql#operationError', code, message }] };
        } else op.wire.error = { code: 9, message: `${code}: ${message}` };
      } else op.finish();
    },
    checkProject(project) {
      if (project !== state.project && project !== state.projectNumber && project !== '-') {
        throw new GoogleApiError(403, 'PERMISSION_DENIED', 'forbidden', `Project '${project}' not found or permission denied.`);
      }
    },
  };

  seedCompute(state);

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://peer');
    const raw = await readBody(req);
    const httpMethod = req.method ?? 'GET';
    const record = (methodId: string, status: number, requestBody: unknown, responseBody: unknown): void => {
      exchanges.push({ methodId, httpMethod, path: url.pathname, query: url.search, status, requestBody, responseBody });
    };
    const fail = (methodId: string, err: GoogleApiError, requestBody: unknown): void => {
      const body = err.body();
      for (const v of checkErrorBody(body)) violations.push(`${methodId} error response: ${v}`);
      record(methodId, err.code, requestBody, body);
      send(res, err.code, body);
    };

    const matched = contract.match(httpMethod, url.pathname);
    if (!matched) {
      const err = new GoogleApiError(404, 'NOT_FOUND', 'notFound', `No method for ${httpMethod} ${url.pathname}`);
      violations.push(`request: no discovery method for ${httpMethod} ${url.pathname}`);
      return fail('unknown', err, raw);
    }
    const { method } = matched;
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      violations.push(`${method.id}: request body is not JSON`);
      return fail(method.id, new GoogleApiError(400, 'INVALID_ARGUMENT', 'parseError', 'Invalid JSON payload received.'), raw);
    }
    const jwtProblem = checkSelfSignedJwt(req.headers.authorization ?? '', keys);
    if (jwtProblem) {
      return fail(method.id, new GoogleApiError(401, 'UNAUTHENTICATED', 'authError', jwtProblem), body);
    }
    if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) {
      return fail(
        method.id,
        new GoogleApiError(
          401,
          'UNAUTHENTICATED',
          'required',
          'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        ),
        body,
      );
    }
    const problems = contract.checkRequest(matched, url.searchParams, body);
    if (problems.length > 0) {
      violations.push(...problems.map((p) => `request ${p}`));
      return fail(method.id, badRequestFrom(problems), body);
    }
    if (!state.enabledApis.has(API_OF[method.service])) {
      return fail(
        method.id,
        faultError('SERVICE_DISABLED', { api: API_OF[method.service], project: state.project, projectNumber: state.projectNumber, permission: '', resource: '' }),
        body,
      );
    }
    const fault = faults.find((f) => f.left > 0 && matches(f.method, method.id));
    if (fault) {
      fault.left--;
      // The resource the permission is checked on, as the services name it in the message.
      const resource = url.pathname.replace(/^\/(compute\/v1\/|v1\/)/, '').replace(/:[a-zA-Z]+$/, '');
      return fail(
        method.id,
        faultError(fault.kind, {
          api: API_OF[method.service],
          project: state.project,
          projectNumber: state.projectNumber,
          permission: fault.permission ?? permissionFor(method.id),
          resource,
        }),
        body,
      );
    }
    const handler = HANDLERS[method.id];
    if (!handler) {
      return fail(method.id, new GoogleApiError(501, 'INTERNAL', 'notImplemented', `The peer does not serve ${method.id}`), body);
    }
    const normalized =
      method.request && body !== undefined
        ? (contract.enumsToNames(method.service, { $ref: method.request }, body) as Record<string, unknown>)
        : {};
    let out: unknown;
    try {
      out = handler({ peer: state, method, params: matched.params, query: url.searchParams, body: normalized ?? {} });
    } catch (e) {
      if (e instanceof GoogleApiError) return fail(method.id, e, body);
      throw e;
    }
    const wire = out === undefined ? {} : JSON.parse(JSON.stringify(out));
    for (const v of contract.checkResponse(method, wire)) violations.push(`response ${v}`);
    record(method.id, 200, body, wire);
    send(res, 200, wire);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      violations.push(`peer crashed: ${e instanceof Error ? e.stack : String(e)}`);
      if (!res.headersSent) send(res, 500, { error: { code: 500, message: 'Internal error', status: 'INTERNAL' } });
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    project: state.project,
    projectNumber: state.projectNumber,
    exchanges,
    violations,
    contract,
    inject(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    disableApi(api) {
      state.enabledApis.delete(api);
    },
    enableApi(api) {
      state.enabledApis.add(api);
    },
    failNextOperation(failure) {
      failures.push({ ...failure, left: failure.times ?? 1 });
    },
    hold() {
      state.held = true;
    },
    release() {
      state.held = false;
    },
    reset() {
      state.store.clear();
      state.operations.clear();
      state.requestIds.clear();
      state.held = false;
      faults.length = 0;
      failures.length = 0;
      state.enabledApis = new Set(Object.values(API_OF));
      seedCompute(state);
    },
    createServiceAccountKey(email = `failover-console@${state.project}.iam.gserviceaccount.com`) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const id = randomBytes(20).toString('hex');
      keys.set(id, { email, publicKey });
      return {
        type: 'service_account',
        project_id: state.project,
        private_key_id: id,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: email,
        client_id: state.nextId(),
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: 'https://oauth2.googleapis.com/token',
      };
    },
    purgeDeletedRoles() {
      for (const [k, v] of state.store) if (k.startsWith('iamrole:') && v.deleted === true) state.store.delete(k);
    },
    resource: (name) => state.store.get(name),
    resources: (prefix = '') => [...state.store.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v),
    operations: () => [...state.operations.values()],
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}

/** The 400 the services send for an unknown field or a bad parameter ("Invalid JSON payload ..."). */
function badRequestFrom(problems: string[]): GoogleApiError {
  const unknown = problems.find((p) => p.includes('unknown field'));
  if (unknown) {
    const field = /(\S+): unknown field/.exec(unknown)?.[1]?.replace(/^body\./, '') ?? '';
    return new GoogleApiError(
      400,
      'INVALID_ARGUMENT',
      'invalid',
      `Invalid JSON payload received. Unknown name "${field.split('.').at(-1)}" at '${field}': Cannot find field.`,
    );
  }
  return new GoogleApiError(400, 'INVALID_ARGUMENT', 'invalid', `Invalid request: ${problems.join('; ')}`);
}

/**
 * A bearer token that is a JWT must be a service account's self-signed JWT (RS256, `kid` = the key
 * id, iss = sub = the account's email, not expired), as Google accepts in place of an access token.
 * Returns why it is refused, or undefined. Plain (non-JWT) bearer tokens are the tests' fake tokens.
 */
function checkSelfSignedJwt(authorization: string, keys: Map<string, { email: string; publicKey: KeyObject }>): string | undefined {
  const token = /^Bearer (.+)$/.exec(authorization)?.[1] ?? '';
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  let header: { alg?: string; kid?: string };
  let claims: { iss?: string; sub?: string; aud?: string; scope?: string; exp?: number; iat?: number };
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as typeof header;
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return 'Invalid JWT: not JSON.';
  }
  const key = header.kid ? keys.get(header.kid) : undefined;
  if (header.alg !== 'RS256' || !key) return 'Invalid JWT Signature.';
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${parts[0]}.${parts[1]}`);
  if (!verifier.verify(key.publicKey, Buffer.from(parts[2]!, 'base64url'))) return 'Invalid JWT Signature.';
  if (claims.iss !== key.email || claims.sub !== key.email) return 'Invalid JWT: iss and sub must be the service account email.';
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.';
  if (!claims.aud && !claims.scope) return 'Invalid JWT: needs an audience or a scope.';
  return undefined;
}
