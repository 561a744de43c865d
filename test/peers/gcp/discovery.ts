// Google's discovery documents as the contract of the GCP peer: loaded at run time from the Go module
// google.golang.org/api (downloaded by .ci/run into an ignored folder), never copied into the repo.
// Matches a request to its discovery method and checks the request (path and query parameters, body)
// and the response against the method's schemas. Unknown fields are errors, as on the real services
// ("Invalid JSON payload received. Unknown name ...").

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const GOOGLE_API_MODULE = 'google.golang.org/api@v0.293.0';
const ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const GOOGLE_API_INSTALL =
  'GOMODCACHE=$PWD/.peers/go/pkg/mod GOPATH=$PWD/.peers/go /usr/local/go/bin/go mod download ' + GOOGLE_API_MODULE;

export const DISCOVERY_FILES = {
  compute: 'compute/v1/compute-api.json',
  container: 'container/v1/container-api.json',
  sqladmin: 'sqladmin/v1/sqladmin-api.json',
  iam: 'iam/v1/iam-api.json',
  storagetransfer: 'storagetransfer/v1/storagetransfer-api.json',
  cloudresourcemanager: 'cloudresourcemanager/v3/cloudresourcemanager-api.json',
  serviceusage: 'serviceusage/v1/serviceusage-api.json',
} as const;
export type GcpService = keyof typeof DISCOVERY_FILES;

/** Where the module is unpacked: GCP_DISCOVERY_DIR, else the module cache under .peers/go. */
export function discoveryDir(): string {
  return (
    process.env.GCP_DISCOVERY_DIR ?? join(ROOT, '.peers', 'go', 'pkg', 'mod', ...GOOGLE_API_MODULE.split('/'))
  );
}

export function discoveryAvailable(): boolean {
  return Object.values(DISCOVERY_FILES).every((f) => existsSync(join(discoveryDir(), f)));
}

export function discoveryMissing(): Error {
  return new Error(`Google's discovery documents are missing (${discoveryDir()}): run ${GOOGLE_API_INSTALL}`);
}

export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: string[];
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  pattern?: string;
}

interface Parameter extends Schema {
  location: 'path' | 'query';
  required?: boolean;
  repeated?: boolean;
}

interface RawMethod {
  id: string;
  httpMethod: string;
  path: string;
  parameters?: Record<string, Parameter>;
  request?: { $ref: string };
  response?: { $ref: string };
}

interface RawResource {
  methods?: Record<string, RawMethod>;
  resources?: Record<string, RawResource>;
}

interface RawDoc {
  servicePath: string;
  parameters: Record<string, Parameter>;
  schemas: Record<string, Schema>;
  resources: Record<string, RawResource>;
}

export interface DiscoveryMethod {
  service: GcpService;
  id: string;
  httpMethod: string;
  template: string;
  regex: RegExp;
  pathParams: string[];
  literalLength: number;
  parameters: Record<string, Parameter>;
  request?: string;
  response?: string;
}

export interface MatchedMethod {
  method: DiscoveryMethod;
  /** Decoded path parameters by their discovery names. */
  params: Record<string, string>;
}

/**
 * Query parameters the transports add that discovery does not list: gax's REST fallback sends
 * `$alt=json;enum-encoding=int` (and then sends enums as numbers), which the real front ends accept.
 */
const TRANSPORT_PARAMS = new Set(['$alt']);

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileTemplate(template: string): { regex: RegExp; names: string[]; literalLength: number } {
  const names: string[] = [];
  let literalLength = 0;
  let src = '';
  for (const part of template.split(/(\{\+?[^}]+\})/)) {
    const m = /^\{(\+?)([^}]+)\}$/.exec(part);
    if (m) {
      names.push(m[2]!);
      src += m[1] ? '(.+?)' : '([^/:]+)';
    } else {
      literalLength += part.length;
      src += escapeRegex(part);
    }
  }
  return { regex: new RegExp(`^${src}$`), names, literalLength };
}

function anchored(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern.startsWith('^') ? pattern : `^(?:${pattern})$`);
  } catch {
    return undefined;
  }
}

export interface CheckOptions {
  /** Requests: accept int64 as numbers, enums as their index when `enum-encoding=int`, nulls. */
  direction: 'request' | 'response';
  enumsAsInts?: boolean;
}

/**
 * No body: absent, `{}`, or the JSON string `""` that gax's REST fallback sends for a POST without a
 * request message (Compute's operations `wait`).
 */
function isEmptyBody(body: unknown): boolean {
  return body === undefined || body === '' || (typeof body === 'object' && body !== null && Object.keys(body).length === 0);
}

export class DiscoveryContract {
  readonly docs: Record<GcpService, RawDoc>;
  readonly methods: DiscoveryMethod[] = [];
  private readonly byId = new Map<string, DiscoveryMethod>();

  constructor(dir = discoveryDir()) {
    if (!discoveryAvailable() && dir === discoveryDir()) throw discoveryMissing();
    const docs = {} as Record<GcpService, RawDoc>;
    for (const [service, file] of Object.entries(DISCOVERY_FILES) as [GcpService, string][]) {
      const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as RawDoc;
      docs[service] = doc;
      const walk = (res: RawResource): void => {
        for (const m of Object.values(res.methods ?? {})) this.add(service, doc, m);
        for (const r of Object.values(res.resources ?? {})) walk(r);
      };
      for (const r of Object.values(doc.resources)) walk(r);
    }
    this.docs = docs;
    // The most specific template first, so `v1/projects/{project}/instances` beats `v1/{+name}`.
    this.methods.sort((a, b) => b.literalLength - a.literalLength);
  }

  private add(service: GcpService, doc: RawDoc, m: RawMethod): void {
    const template = doc.servicePath + m.path;
    const { regex, names, literalLength } = compileTemplate(template);
    const method: DiscoveryMethod = {
      service,
      id: m.id,
      httpMethod: m.httpMethod,
      template,
      regex,
      pathParams: names,
      literalLength,
      parameters: m.parameters ?? {},
      request: m.request?.$ref,
      response: m.response?.$ref,
    };
    this.methods.push(method);
    this.byId.set(m.id, method);
  }

  method(id: string): DiscoveryMethod {
    const m = this.byId.get(id);
    if (!m) throw new Error(`no discovery method ${id}`);
    return m;
  }

  /** The discovery method a request is for: template, then each path parameter's own pattern. */
  match(httpMethod: string, path: string): MatchedMethod | undefined {
    const rel = path.replace(/^\/+/, '');
    for (const method of this.methods) {
      if (method.httpMethod !== httpMethod) continue;
      const m = method.regex.exec(rel);
      if (!m) continue;
      const params: Record<string, string> = {};
      let ok = true;
      method.pathParams.forEach((name, i) => {
        const value = decodeURIComponent(m[i + 1]!);
        params[name] = value;
        const p = method.parameters[name];
        const re = p?.pattern ? anchored(p.pattern) : undefined;
        if (re && !re.test(value)) ok = false;
      });
      if (ok) return { method, params };
    }
    return undefined;
  }

  /** Problems with a request's query parameters and body (empty when it follows the contract). */
  checkRequest(matched: MatchedMethod, query: URLSearchParams, body: unknown): string[] {
    const { method } = matched;
    const errors: string[] = [];
    const standard = this.docs[method.service].parameters;
    const enumsAsInts = /enum-encoding=int/.test(query.get('$alt') ?? '');
    const seen = new Map<string, number>();
    for (const [key, value] of query) {
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (TRANSPORT_PARAMS.has(key)) continue;
      const p = method.parameters[key] ?? standard[key];
      if (!p || p.location !== 'query') {
        errors.push(`${method.id}: unknown query parameter '${key}'`);
        continue;
      }
      if (!p.repeated && (seen.get(key) ?? 0) > 1) errors.push(`${method.id}: query parameter '${key}' repeated`);
      errors.push(...this.checkScalar(method.service, p, value, `${method.id}?${key}`));
    }
    for (const [name, p] of Object.entries(method.parameters)) {
      if (p.location === 'query' && p.required && !query.has(name)) {
        errors.push(`${method.id}: required query parameter '${name}' missing`);
      }
      if (p.location === 'path') {
        const v = matched.params[name];
        if (v === undefined || v === '') errors.push(`${method.id}: path parameter '${name}' missing`);
        else if (p.pattern && !method.template.includes(`{+${name}}`)) {
          const re = anchored(p.pattern);
          if (re && !re.test(v)) errors.push(`${method.id}: path parameter '${name}'='${v}' does not match ${p.pattern}`);
        }
      }
    }
    if (method.request) {
      if (body === undefined) errors.push(`${method.id}: request body missing (${method.request})`);
      else {
        const problems = this.checkValue(method.service, { $ref: method.request }, body, 'body', { direction: 'request', enumsAsInts });
        errors.push(...problems.map((p) => `${method.id}: ${p}`));
      }
    } else if (!isEmptyBody(body)) {
      errors.push(`${method.id}: takes no request body`);
    }
    return errors;
  }

  /** Problems with a successful response body. */
  checkResponse(method: DiscoveryMethod, body: unknown): string[] {
    if (!method.response) {
      return body === undefined || (typeof body === 'object' && body && Object.keys(body).length === 0)
        ? []
        : [`${method.id}: answers no body (google.protobuf.Empty)`];
    }
    return this.checkValue(method.service, { $ref: method.response }, body, method.response, { direction: 'response' }).map(
      (p) => `${method.id}: ${p}`,
    );
  }

  private checkScalar(service: GcpService, p: Parameter, value: string, where: string): string[] {
    if (p.enum && !p.enum.includes(value)) return [`${where}: '${value}' is not one of ${p.enum.join(', ')}`];
    if (p.type === 'integer' && !/^-?\d+$/.test(value)) return [`${where}: '${value}' is not an integer`];
    if (p.type === 'boolean' && value !== 'true' && value !== 'false') return [`${where}: '${value}' is not a boolean`];
    if (p.format === 'int64' || p.format === 'uint64') {
      if (!/^-?\d+$/.test(value)) return [`${where}: '${value}' is not an ${p.format}`];
    }
    void service;
    return [];
  }

  /** Checks one JSON value against a discovery schema; every path in the messages starts at `where`. */
  checkValue(service: GcpService, schema: Schema, value: unknown, where: string, opts: CheckOptions): string[] {
    const doc = this.docs[service];
    let s = schema;
    if (s.$ref) {
      const target = doc.schemas[s.$ref];
      if (!target) return [`${where}: schema ${s.$ref} not in ${service} discovery`];
      s = target;
    }
    if (value === null) return opts.direction === 'request' ? [] : [`${where}: null (Google omits empty fields)`];
    const errors: string[] = [];
    switch (s.type) {
      case 'any':
        return [];
      case 'object': {
        if (typeof value !== 'object' || Array.isArray(value)) return [`${where}: expected an object`];
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          const prop = s.properties?.[k];
          if (prop) errors.push(...this.checkValue(service, prop, v, `${where}.${k}`, opts));
          else if (s.additionalProperties) errors.push(...this.checkValue(service, s.additionalProperties, v, `${where}.${k}`, opts));
          else errors.push(`${where}.${k}: unknown field`);
        }
        return errors;
      }
      case 'array':
        if (!Array.isArray(value)) return [`${where}: expected an array`];
        value.forEach((v, i) => errors.push(...this.checkValue(service, s.items ?? {}, v, `${where}[${i}]`, opts)));
        return errors;
      case 'string': {
        if (s.format === 'int64' || s.format === 'uint64') {
          if (typeof value === 'string' && /^-?\d+$/.test(value)) return [];
          if (opts.direction === 'request' && typeof value === 'number' && Number.isInteger(value)) return [];
          return [`${where}: expected an ${s.format} as a decimal string, got ${JSON.stringify(value)}`];
        }
        if (s.enum) {
          if (typeof value === 'string' && s.enum.includes(value)) return [];
          if (opts.enumsAsInts && typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < s.enum.length) return [];
          return [`${where}: ${JSON.stringify(value)} is not one of ${s.enum.join(', ')}`];
        }
        return typeof value === 'string' ? [] : [`${where}: expected a string, got ${JSON.stringify(value)}`];
      }
      case 'integer':
        if (typeof value === 'number' && Number.isInteger(value)) return [];
        if (opts.direction === 'request' && typeof value === 'string' && /^-?\d+$/.test(value)) return [];
        return [`${where}: expected an integer, got ${JSON.stringify(value)}`];
      case 'number':
        return typeof value === 'number' ? [] : [`${where}: expected a number, got ${JSON.stringify(value)}`];
      case 'boolean':
        return typeof value === 'boolean' ? [] : [`${where}: expected a boolean, got ${JSON.stringify(value)}`];
      default:
        return [];
    }
  }

  /**
   * A request body with enums sent as numbers (gax's `enum-encoding=int`) turned into their names,
   * so what the peer stores and answers is the JSON the real service would answer.
   */
  enumsToNames(service: GcpService, schema: Schema, value: unknown): unknown {
    const doc = this.docs[service];
    const s = schema.$ref ? doc.schemas[schema.$ref] : schema;
    if (!s || value === null || value === undefined) return value;
    if (s.type === 'string' && s.enum && typeof value === 'number') return s.enum[value] ?? value;
    if (s.type === 'array' && Array.isArray(value)) return value.map((v) => this.enumsToNames(service, s.items ?? {}, v));
    if (s.type === 'object' && typeof value === 'object' && !Array.isArray(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const prop = s.properties?.[k] ?? s.additionalProperties;
        out[k] = prop ? this.enumsToNames(service, prop, v) : v;
      }
      return out;
    }
    return value;
  }
}

/** Google's error body, as both the legacy (Compute) and One Platform APIs send it. */
export function checkErrorBody(body: unknown): string[] {
  const e = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (!e || typeof e !== 'object') return ['error body: no `error` object'];
  const errors: string[] = [];
  if (typeof e.code !== 'number') errors.push('error.code: expected an integer');
  if (typeof e.message !== 'string') errors.push('error.message: expected a string');
  if (e.status !== undefined && typeof e.status !== 'string') errors.push('error.status: expected a string');
  for (const k of Object.keys(e)) {
    if (!['code', 'message', 'status', 'errors', 'details'].includes(k)) errors.push(`error.${k}: unknown field`);
  }
  if (e.errors !== undefined) {
    if (!Array.isArray(e.errors)) errors.push('error.errors: expected an array');
    else
      for (const item of e.errors as Record<string, unknown>[]) {
        for (const k of ['message', 'domain', 'reason']) {
          if (typeof item[k] !== 'string') errors.push(`error.errors[].${k}: expected a string`);
        }
      }
  }
  if (e.details !== undefined && !Array.isArray(e.details)) errors.push('error.details: expected an array');
  return errors;
}
