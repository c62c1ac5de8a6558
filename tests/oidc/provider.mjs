// Several tenants of a real OpenID Provider (oidc-provider), one per port, each its own issuer,
// issuing RFC 9068 JWT access tokens for the service's audience. A front end signs people in
// with the authorization code flow and PKCE; the development login pages accept any login and
// are driven with plain HTTP. Besides the provider's own routes, each port answers
// POST /__rotate (a new signing key replaces the old, as at a key rotation) and GET /__stats
// (how often its key set was fetched).
//
// Usage: AUDIENCE=... TENANTS='{"opcc": 9401, "plymouth": 9402}' node provider.mjs
import http from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';

import Provider from 'oidc-provider';

const AUDIENCE = process.env.AUDIENCE;
const REDIRECT_URI = process.env.REDIRECT_URI || 'http://127.0.0.1:9/callback';
const tenants = JSON.parse(process.env.TENANTS);

function signingKeys() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' }] };
}

function provider(issuer) {
  return new Provider(issuer, {
    jwks: signingKeys(),
    clients: [
      {
        client_id: 'cspfund-front-end',
        token_endpoint_auth_method: 'none',
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      {
        // Its access tokens live one second, for checking that expired tokens are refused.
        client_id: 'short-lived-front-end',
        token_endpoint_auth_method: 'none',
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => ({
          scope: 'fund',
          audience: resource,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    // The sign-in the token stands for, as RFC 9068 section 2.2.1 allows: the service needs
    // auth_time (and acr/amr where an operator asks for multi-factor) before a declaration.
    extraTokenClaims: async (ctx) => {
      const source = ctx.oidc.entities.AuthorizationCode || ctx.oidc.entities.RefreshToken;
      return source ? { auth_time: source.authTime, acr: source.acr, amr: source.amr } : undefined;
    },
    ttl: {
      AccessToken: (ctx, token, client) => (client && client.clientId === 'short-lived-front-end' ? 1 : 600),
    },
  });
}

for (const [name, port] of Object.entries(tenants)) {
  const issuer = `http://127.0.0.1:${port}`;
  let current = provider(issuer);
  let keyFetches = 0;
  http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/__rotate') {
      current = provider(issuer);
      res.writeHead(204).end();
      return;
    }
    if (req.url === '/__stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ key_fetches: keyFetches }));
      return;
    }
    if (req.url.split('?')[0] === '/jwks') keyFetches += 1;
    current.callback()(req, res);
  }).listen(port, '127.0.0.1', () => console.log(`${name} issuer at ${issuer}`));
}
