import { DEVELOPMENT_JWT_SECRET } from '@storefront/identity';
import { loadRouterAuthConfig } from './config.ts';

describe('loadRouterAuthConfig', () => {
  it('uses the development secret and identity key outside production', () => {
    const config = loadRouterAuthConfig({});
    expect(config.accessTokens).toMatchObject({ keys: { kind: 'secret', secret: DEVELOPMENT_JWT_SECRET }, issuer: 'storefront-accounts', audience: 'storefront', clockSkewSeconds: 30 });
    expect(config.identityKey.asymmetricKeyType).toBe('ed25519');
  });

  it('refuses to run in production without keys of its own', () => {
    expect(() => loadRouterAuthConfig({ NODE_ENV: 'production' })).toThrow(/JWT_JWKS_URL: required/);
    expect(() => loadRouterAuthConfig({ NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toThrow(/JWT_JWKS_URL: required/);
    expect(() => loadRouterAuthConfig({ NODE_ENV: 'production', JWT_JWKS_URL: 'http://accounts:4001/.well-known/jwks.json' })).toThrow(/ROUTER_IDENTITY_PRIVATE_KEY: required/);
  });

  it('takes exactly one source of access-token keys', () => {
    expect(loadRouterAuthConfig({ JWT_JWKS_URL: 'http://accounts:4001/.well-known/jwks.json' }).accessTokens.keys).toEqual({
      kind: 'jwks-url',
      url: new URL('http://accounts:4001/.well-known/jwks.json'),
    });
    expect(() => loadRouterAuthConfig({ JWT_JWKS_URL: 'http://a/jwks.json', JWT_SECRET: 'x'.repeat(40) })).toThrow(/set only one source/);
    expect(() => loadRouterAuthConfig({ JWT_SECRET: 'too-short' })).toThrow(/JWT_SECRET/);
    expect(() => loadRouterAuthConfig({ JWT_JWKS_FILE: '/nonexistent/jwks.json' })).toThrow(/JWT_JWKS_FILE/);
  });
});
