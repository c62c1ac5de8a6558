// Several tenants of a real OpenID Provider (oidc-provider), one per port, each its own issuer,
// issuing RFC 9068 JWT access tokens for the service's audience. A front end signs people in
// with the authorization code flow and PKCE. The login page here accepts any login, with or
// without a second factor (`mfa=yes`), which the provider then reports as `amr` and `acr`; it is
// driven with plain HTTP. Besides the provider's own routes, each port answers POST /__rotate (a
// new signing key replaces the old, as at a key rotation) and GET /__stats (how often its key
// set was fetched).
//
// Usage: AUDIENCE=... TENANTS='{"opcc": 9401, "plymouth": 9402}' node provider.mjs
import http from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';

import Provider from 'oidc-provider';

const AUDIENCE = process.env.AUDIENCE;
const REDIRECT_URI = process.env.REDIRECT_URI || 'http://127.0.0.1:9/callback';
const tenants = JSON.parse(process.env.TENANTS);

const SINGLE_FACTOR = 'urn:cspfund:test:single-factor';
const MULTI_FACTOR = 'urn:cspfund:test:multi-factor';

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

// The login and consent pages: what a tenant's own sign-in pages do, in the fewest lines.
async function interaction(current, req, res) {
  const { uid, prompt, params, session, grantId } = await current.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html' }).end(
      `<form method="post" action="/interaction/${uid}"><input type="hidden" name="prompt" value="${prompt.name}"/>`
      + '<input name="login"/><input name="password" type="password"/><input name="mfa"/></form>',
    );
    return;
  }
  const form = await readForm(req);
  if (prompt.name === 'login') {
    const mfa = form.get('mfa') === 'yes';
    await current.interactionFinished(req, res, {
      login: {
        accountId: form.get('login'),
        amr: mfa ? ['pwd', 'mfa'] : ['pwd'],
        acr: mfa ? MULTI_FACTOR : SINGLE_FACTOR,
      },
    }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = grantId
    ? await current.Grant.find(grantId)
    : new current.Grant({ accountId: session.accountId, clientId: params.client_id });
  const { details } = prompt;
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  await current.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, {
    mergeWithLastSubmission: true,
  });
}

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
    acrValues: [SINGLE_FACTOR, MULTI_FACTOR],
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
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
    const path = req.url.split('?')[0];
    if (path === '/jwks') keyFetches += 1;
    if (path.startsWith('/interaction/')) {
      interaction(current, req, res).catch((error) => {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
      });
      return;
    }
    current.callback()(req, res);
  }).listen(port, '127.0.0.1', () => console.log(`${name} issuer at ${issuer}`));
}
