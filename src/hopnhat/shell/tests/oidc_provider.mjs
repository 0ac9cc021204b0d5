// A real OpenID Connect provider (the npm package oidc-provider) for the VNeID sign-in tests, set up like the
// national SSO: authorisation code + PKCE, a confidential client, and VNeID-style claims (SoDinhDanh,
// HoVaTen, LoaiTaiKhoan, NgayThangNamSinh, ThuDienTu). Its sign-in page asks for the personal ID number and
// a password, as VNeID's web sign-in does. Installed by scripts/services.sh (ensure_oidc_provider).
//
// env: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, ACCOUNTS (JSON {SoDinhDanh: {password, claims}}),
//      OIDC_PROVIDER_HOME (where node_modules/oidc-provider lives)
import http from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(`${process.env.OIDC_PROVIDER_HOME}/package.json`);
const { default: Provider } = await import(pathToFileURL(require.resolve('oidc-provider')).href);

const port = Number(process.env.PORT);
const accounts = JSON.parse(process.env.ACCOUNTS);
const CLAIMS = ['SoDinhDanh', 'HoVaTen', 'LoaiTaiKhoan', 'NgayThangNamSinh', 'ThuDienTu'];

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    post_logout_redirect_uris: [process.env.POST_LOGOUT_REDIRECT_URI],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: CLAIMS },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['hopnhat-test-provider-cookie-key'] },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: `vneid-${id.slice(-6)}`, ...account.claims }) };
  },
});

function readForm(req) {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
  });
}

const page = (uid, error) => `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>VNeID</title></head>
<body><h1>Đăng nhập tài khoản định danh điện tử</h1>${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label>Số định danh cá nhân <input name="username"></label>
<label>Mật khẩu <input name="password" type="password"></label>
<button type="submit">Đăng nhập</button></form></body></html>`;

const server = http.createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
  if (!match) return provider.callback()(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method !== 'POST') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return res.end(page(details.uid));
    }
    const form = await readForm(req);
    const id = form.get('username');
    if (!accounts[id] || accounts[id].password !== form.get('password')) {
      res.statusCode = 401;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return res.end(page(details.uid, 'Sai số định danh hoặc mật khẩu'));
    }
    const grant = new provider.Grant({ accountId: id, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    grant.addOIDCClaims(CLAIMS);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { login: { accountId: id }, consent: { grantId } },
      { mergeWithLastSubmission: false });
  } catch (err) {
    res.statusCode = 500;
    return res.end(String(err));
  }
});
server.listen(port, '127.0.0.1', () => console.log(`oidc-provider on ${port}`));
