// SDK errors become ProviderFailure codes with a sentence an operator can act on, and no secrets.

import { describe, expect, it } from 'vitest';
import { mapAwsError, sanitizeAwsMessage } from '../../../../main/providers/aws/errors';

const sdkError = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name, $metadata: {}, ...extra });

describe('mapAwsError', () => {
  it('maps throttling to ProviderThrottled with the wait AWS asked for', () => {
    const f = mapAwsError(sdkError('ThrottlingException', 'Rate exceeded', { $response: { headers: { 'retry-after': '3' } } }), 'ec2:RunInstances');
    expect(f.code).toBe('ProviderThrottled');
    expect(f.retryAfterMs).toBe(3000);
    expect(f.retryable).toBe(true);
    expect(mapAwsError(sdkError('RequestLimitExceeded', 'x'), 'ec2:DescribeInstances').code).toBe('ProviderThrottled');
    expect(mapAwsError(sdkError('SlowDown', 'x', { $metadata: { httpStatusCode: 503 } }), 's3:PutObject').code).toBe('ProviderThrottled');
  });

  it('names the login command when an SSO session expired', () => {
    const err = Object.assign(new Error('The SSO session associated with this profile has expired or is otherwise invalid.'), { name: 'CredentialsProviderError' });
    const f = mapAwsError(err, 'sts:GetCallerIdentity', { profile: 'prod-admin' });
    expect(f.code).toBe('ProviderAuthFailed');
    expect(f.message).toBe('Your AWS SSO session for profile prod-admin expired: run `aws sso login --profile prod-admin`, then retry.');
    expect(mapAwsError(sdkError('ExpiredTokenException', 'The security token included in the request is expired'), 'ec2:RunInstances').code).toBe('ProviderAuthFailed');
  });

  it('names the denied action', () => {
    const f = mapAwsError(sdkError('UnauthorizedOperation', 'You are not authorized to perform this operation.'), 'ec2:RunInstances');
    expect(f.code).toBe('ProviderPermissionDenied');
    expect(f.message).toContain('"ec2:RunInstances"');
    expect(mapAwsError(sdkError('AccessDenied', 'Access Denied'), 's3:PutReplicationConfiguration').message).toContain('s3:PutReplicationConfiguration');
  });

  it('maps quotas, not-found, server faults, network errors and the rest', () => {
    expect(mapAwsError(sdkError('InstanceLimitExceeded', 'Your quota allows for 0 more running instance(s).'), 'ec2:RunInstances').code).toBe('ProviderQuotaExceeded');
    expect(mapAwsError(sdkError('LimitExceeded', 'Cannot exceed quota for RolesPerAccount'), 'iam:CreateRole').code).toBe('ProviderQuotaExceeded');
    expect(mapAwsError(sdkError('InvalidInstanceID.NotFound', 'gone'), 'ec2:TerminateInstances').code).toBe('NotFound');
    expect(mapAwsError(sdkError('NoSuchBucket', 'gone'), 's3:ListBucket').code).toBe('NotFound');
    expect(mapAwsError(sdkError('InternalError', 'oops', { $fault: 'server', $metadata: { httpStatusCode: 500 } }), 'ec2:CopyImage').code).toBe('ProviderUnavailable');
    expect(mapAwsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'ec2:DescribeImages').code).toBe('ProviderOffline');
    for (const code of ['ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN']) {
      const offline = mapAwsError(Object.assign(new Error(`getaddrinfo ${code} ec2.us-east-1.amazonaws.com`), { code }), 'ec2:DescribeImages');
      expect(offline.code).toBe('ProviderOffline');
      expect(offline.message).toMatch(/offline/);
    }
    // Node's fetch/undici puts the system error on the cause; an AggregateError lists it in errors.
    const wrapped = new Error('fetch failed', { cause: Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]), {}) });
    expect(mapAwsError(wrapped, 's3:PutObject').code).toBe('ProviderOffline');
    expect(mapAwsError(Object.assign(new Error('socket hang up ECONNRESET'), { code: 'ECONNRESET' }), 'ec2:DescribeImages').code).toBe('ProviderUnavailable');
    expect(mapAwsError(sdkError('InvalidParameterValue', 'Value (x) for parameter instanceType is invalid.'), 'ec2:RunInstances')).toMatchObject({
      code: 'ProviderError',
      message: expect.stringContaining('instanceType is invalid'),
    });
  });

  it("says offline, with the wait, when the SDK's HTTP handler gave up on a connection or on a silent one", () => {
    const connect = Object.assign(new Error('@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 5000 ms.'), { name: 'TimeoutError' });
    expect(mapAwsError(connect, 'sts:GetCallerIdentity')).toMatchObject({
      code: 'ProviderOffline',
      message: 'AWS could not be reached for sts:GetCallerIdentity (no connection within 5 s): the console is offline for this account.',
    });
    const silent = Object.assign(new Error('@smithy/node-http-handler - the request socket timed out after 30000 ms of inactivity (configured by client requestHandler).'), { name: 'TimeoutError' });
    expect(mapAwsError(silent, 'ec2:DescribeImages')).toMatchObject({ code: 'ProviderOffline', message: 'AWS did not answer ec2:DescribeImages within 30 s: the console is offline for this account.' });
    // Another TimeoutError (the service's own) is still a retryable unavailability, not offline.
    expect(mapAwsError(sdkError('TimeoutError', 'The operation timed out'), 'ec2:DescribeImages').code).toBe('ProviderUnavailable');
  });

  it('keeps access keys, signatures and secrets out of the message', () => {
    const f = mapAwsError(
      sdkError('InvalidParameterValue', 'bad request X-Amz-Signature=abcdef0123 Credential=AKIAABCDEFGHIJKLMNOP/2025 secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'),
      'ec2:RunInstances',
    );
    expect(f.message).not.toMatch(/AKIAABCDEFGHIJKLMNOP|abcdef0123|wJalrXUtnFEMI/);
    expect(sanitizeAwsMessage('key ASIAABCDEFGHIJKLMNOP used')).toBe('key <access-key-id> used');
  });
});
