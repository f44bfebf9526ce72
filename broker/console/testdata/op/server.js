// A real OpenID Connect provider for the console's tests: the certified
// oidc-provider package, configured from the JSON file named on the
// command line, with an in-memory account store and a login interaction
// of its own (no devInteractions), so a test logs in by POSTing a
// username. It listens on a free loopback port and prints
// "ready <issuer>" on stdout. Never used outside tests.
//
// Config: {"clients": [{"client_id", "client_secret", "redirect_uris",
// "id_token_ttl"?}], "accounts": {"<login>": {claims…}}}; an account's
// "sub" defaults to its login name.
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import Provider from 'oidc-provider';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const accounts = cfg.accounts || {};
const ttls = {};
for (const c of cfg.clients) {
  if (c.id_token_ttl) ttls[c.client_id] = c.id_token_ttl;
}

// A fresh signing key per instance, so that two instances are two
// issuers with different keys.
const key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
key.kid = crypto.randomUUID();
key.use = 'sig';
key.alg = 'RS256';

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: cfg.clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [key] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    // The ID token carries the profile claims itself (the broker reads
    // only the ID token).
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'groups'] },
    ttl: { IdToken: (ctx, token, client) => ttls[client.clientId] || 3600 },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // First-party test clients: consent is given without asking.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
    findAccount: async (ctx, id) => {
      const a = accounts[id];
      if (!a) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...a }) };
    },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    try {
      const m = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
      if (!m) return callback(req, res);
      const details = await provider.interactionDetails(req, res);
      if (!m[2] && req.method === 'GET') {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        return res.end(`<form method="post" action="/interaction/${details.uid}/login"><input name="username"><button>Login</button></form><!-- prompt:${details.prompt.name} -->`);
      }
      if (m[2] && req.method === 'POST') {
        const body = await new Promise((resolve) => {
          let b = '';
          req.on('data', (d) => { b += d; });
          req.on('end', () => resolve(new URLSearchParams(b)));
        });
        const user = body.get('username');
        if (!accounts[user]) {
          res.statusCode = 401;
          return res.end('unknown user');
        }
        return provider.interactionFinished(req, res, { login: { accountId: user } }, { mergeWithLastSubmission: false });
      }
      res.statusCode = 405;
      return res.end();
    } catch (err) {
      console.error(err);
      res.statusCode = 500;
      res.end(String(err));
    }
  });
  console.log(`ready ${issuer}`);
});
