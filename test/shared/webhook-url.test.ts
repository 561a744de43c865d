import { describe, expect, it } from 'vitest';
import { WebhookUrlSchema, privateTargetProblem } from '../../shared/webhook-url';

describe('webhook URLs', () => {
  it('are stored parsed and re-serialised', () => {
    expect(WebhookUrlSchema.parse(' HTTPS://Hooks.Example.TEST:443/a/../dr?x=1 ')).toBe('https://hooks.example.test/dr?x=1');
  });

  it.each([
    ['a CR/LF (header injection)', 'https://hooks.example.test/dr\r\nX-Injected: 1'],
    ['a LF inside the host', 'https://hooks.exa\nmple.test/'],
    ['a tab', 'https://hooks.example.test/\tdr'],
    ['NUL', 'https://hooks.example.test/\u0000'],
  ])('refuse %s instead of letting the parser drop it', (_what, url) => {
    expect(WebhookUrlSchema.safeParse(url).error?.issues[0]?.message).toBe('must not contain line breaks or other control characters');
  });

  it('refuse credentials and other schemes', () => {
    expect(WebhookUrlSchema.safeParse('https://user:pw@hooks.example.test/').success).toBe(false);
    expect(WebhookUrlSchema.safeParse('file:///etc/passwd').success).toBe(false);
    expect(WebhookUrlSchema.safeParse('javascript:alert(1)').success).toBe(false);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://169.254.170.2/v2/credentials',
    'http://2852039166/',
    'http://0xA9FEA9FE/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://[FD00:EC2:0:0:0:0:0:254]/',
    'http://[fe80::1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://METADATA.GOOGLE.INTERNAL./',
    'http://100.100.100.200/latest/meta-data/',
    'http://168.63.129.16/',
  ])('name %s as a link-local or metadata target', (url) => {
    expect(privateTargetProblem(url)).toMatch(/link-local or cloud metadata address; allow private targets for this policy/);
  });

  it.each(['https://hooks.example.test/dr', 'http://127.0.0.1:8080/hook', 'http://10.1.2.3/', 'http://[::1]:9000/', 'http://[fec0::1]/'])(
    'leave %s to the operator',
    (url) => {
      expect(privateTargetProblem(url)).toBeNull();
    },
  );
});
