import { createHmac } from 'node:crypto';
import { edaAuthHeaders, validateEdaAuth } from './edaAuth';

describe('EDA event stream credentials', () => {
  const body = '{"metadata":{"name":"x"}}';

  it('sends the token as a Bearer Authorization header by default', () => {
    expect(edaAuthHeaders({ type: 'token', token: 't0k' }, body)).toEqual({
      Authorization: 'Bearer t0k',
    });
  });

  it('sends the bare token in a custom header', () => {
    expect(
      edaAuthHeaders(
        { type: 'token', token: 't0k', header: 'X-Api-Key' },
        body,
      ),
    ).toEqual({ 'X-Api-Key': 't0k' });
  });

  it('signs the exact body with HMAC-SHA256: hex with sha256= by default, or as configured', () => {
    const hex = createHmac('sha256', 's').update(body).digest('hex');
    const b64 = createHmac('sha256', 's').update(body).digest('base64');
    expect(edaAuthHeaders({ type: 'hmac', secret: 's' }, body)).toEqual({
      'X-Hub-Signature-256': `sha256=${hex}`,
    });
    expect(
      edaAuthHeaders(
        {
          type: 'hmac',
          secret: 's',
          header: 'X-Sig',
          encoding: 'base64',
          prefix: '',
        },
        body,
      ),
    ).toEqual({ 'X-Sig': b64 });
  });

  it('refuses incomplete or invalid settings at startup', () => {
    expect(() => validateEdaAuth({ type: 'token', token: '' }, 'k')).toThrow(
      'k.token is required',
    );
    expect(() => validateEdaAuth({ type: 'hmac', secret: '' }, 'k')).toThrow(
      'k.secret is required',
    );
    expect(() =>
      validateEdaAuth({ type: 'token', token: 't', header: 'Bad Header' }, 'k'),
    ).toThrow('not a valid HTTP header name');
    expect(() => validateEdaAuth({ type: 'basic' } as any, 'k')).toThrow(
      'k.type must be',
    );
    expect(() =>
      validateEdaAuth({ type: 'hmac', secret: 's', encoding: 'hex' }, 'k'),
    ).not.toThrow();
  });
});
