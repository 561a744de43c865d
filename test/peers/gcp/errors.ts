// Google API errors as the GCP peer sends them: `{ error: { code, message, status, errors: [{ message,
// domain, reason }], details } }`. Compute's legacy front end and the One Platform APIs (container,
// sqladmin, iam, storagetransfer) both send `errors[]`; the One Platform ones add `details` with a
// google.rpc.ErrorInfo, which gax exposes as `reason`, `domain` and `errorInfoMetadata`.

export type RpcStatus =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'ABORTED'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL'
  | 'UNAVAILABLE';

export interface ErrorInfo {
  reason: string;
  domain: string;
  metadata?: Record<string, string>;
}

export class GoogleApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: RpcStatus,
    readonly reason: string,
    message: string,
    readonly domain = 'global',
    readonly errorInfo?: ErrorInfo,
  ) {
    super(message);
  }

  body(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = {
      code: this.code,
      message: this.message,
      status: this.status,
      errors: [{ message: this.message, domain: this.domain, reason: this.reason }],
    };
    if (this.errorInfo) {
      error.details = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', ...this.errorInfo }];
    }
    return { error };
  }
}

export const notFound = (what: string): GoogleApiError =>
  new GoogleApiError(404, 'NOT_FOUND', 'notFound', `The resource '${what}' was not found`);
export const alreadyExists = (what: string): GoogleApiError =>
  new GoogleApiError(409, 'ALREADY_EXISTS', 'alreadyExists', `The resource '${what}' already exists`);
export const invalid = (message: string): GoogleApiError =>
  new GoogleApiError(400, 'INVALID_ARGUMENT', 'invalid', message);
export const badRequest = (message: string): GoogleApiError =>
  new GoogleApiError(400, 'INVALID_ARGUMENT', 'badRequest', message);

/** The faults a test can inject, as the services send them. */
export type FaultKind =
  | 'rateLimitExceeded'
  | 'rateLimitExceeded429'
  | 'RESOURCE_EXHAUSTED'
  | 'SERVICE_DISABLED'
  | 'PERMISSION_DENIED'
  | 'UNAVAILABLE';

export const API_TITLES: Record<string, string> = {
  'compute.googleapis.com': 'Compute Engine API',
  'container.googleapis.com': 'Kubernetes Engine API',
  'sqladmin.googleapis.com': 'Cloud SQL Admin API',
  'iam.googleapis.com': 'Identity and Access Management (IAM) API',
  'storagetransfer.googleapis.com': 'Storage Transfer API',
  'cloudresourcemanager.googleapis.com': 'Cloud Resource Manager API',
  'serviceusage.googleapis.com': 'Service Usage API',
};

export function faultError(
  kind: FaultKind,
  ctx: { api: string; project: string; projectNumber: string; permission: string; resource: string },
): GoogleApiError {
  switch (kind) {
    case 'rateLimitExceeded':
      // Compute's API rate limits: 403, legacy reason rateLimitExceeded, the quota named in the message
      // (the shape hashicorp/terraform-provider-google#8360 shows, with today's per-minute limit names).
      return new GoogleApiError(
        403,
        'PERMISSION_DENIED',
        'rateLimitExceeded',
        `Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service '${ctx.api}' for consumer 'project_number:${ctx.projectNumber}'.`,
        'usageLimits',
      );
    case 'rateLimitExceeded429':
      return new GoogleApiError(429, 'RESOURCE_EXHAUSTED', 'rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits', {
        reason: 'RATE_LIMIT_EXCEEDED',
        domain: 'googleapis.com',
        metadata: { service: ctx.api, consumer: `projects/${ctx.projectNumber}` },
      });
    case 'RESOURCE_EXHAUSTED':
      return new GoogleApiError(
        429,
        'RESOURCE_EXHAUSTED',
        'rateLimitExceeded',
        `Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service '${ctx.api}' for consumer 'project_number:${ctx.projectNumber}'.`,
        'usageLimits',
        {
          reason: 'RATE_LIMIT_EXCEEDED',
          domain: 'googleapis.com',
          metadata: {
            service: ctx.api,
            consumer: `projects/${ctx.projectNumber}`,
            quota_metric: `${ctx.api}/default`,
            quota_limit: 'defaultPerMinutePerProject',
          },
        },
      );
    case 'SERVICE_DISABLED': {
      const title = API_TITLES[ctx.api] ?? ctx.api;
      return new GoogleApiError(
        403,
        'PERMISSION_DENIED',
        'accessNotConfigured',
        `${title} has not been used in project ${ctx.projectNumber} before or it is disabled. Enable it by visiting ` +
          `https://console.developers.google.com/apis/api/${ctx.api}/overview?project=${ctx.projectNumber} then retry. ` +
          'If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.',
        'usageLimits',
        {
          reason: 'SERVICE_DISABLED',
          domain: 'googleapis.com',
          metadata: { service: ctx.api, consumer: `projects/${ctx.projectNumber}`, serviceTitle: title },
        },
      );
    }
    case 'PERMISSION_DENIED':
      return new GoogleApiError(
        403,
        'PERMISSION_DENIED',
        'forbidden',
        ctx.api === 'compute.googleapis.com'
          ? `Required '${ctx.permission}' permission for '${ctx.resource}'`
          : `Permission '${ctx.permission}' denied on resource '${ctx.resource}' (or it may not exist).`,
        'global',
        { reason: 'IAM_PERMISSION_DENIED', domain: ctx.api, metadata: { permission: ctx.permission, resource: ctx.resource } },
      );
    case 'UNAVAILABLE':
      return new GoogleApiError(503, 'UNAVAILABLE', 'backendError', 'The service is currently unavailable.');
  }
}

/**
 * The IAM permission a method needs, as the services name it in PERMISSION_DENIED: Compute's
 * `insert` is `create`, set* methods are `set*`, `wait` reads the operation.
 */
export function permissionFor(methodId: string): string {
  const parts = methodId.split('.');
  const service = parts[0] === 'sql' ? 'cloudsql' : parts[0] === 'cloudresourcemanager' ? 'resourcemanager' : parts[0]!;
  let verb = parts.at(-1)!;
  const collection = parts.at(-2)!;
  if (verb === 'insert') verb = 'create';
  if (verb === 'wait') verb = 'get';
  const map: Record<string, string> = {
    zoneOperations: 'zoneOperations',
    regionOperations: 'regionOperations',
    globalOperations: 'globalOperations',
    serviceAccounts: 'serviceAccounts',
    transferJobs: 'jobs',
    projects: 'projects',
  };
  const coll = service === 'container' ? collection : (map[collection] ?? collection);
  return `${service === 'storagetransfer' ? 'storagetransfer' : service}.${coll}.${verb}`;
}
