// Mints the HS256 tokens the server accepts (docs/PROTOCOL.md section 2), for the token sign-in test.
import { createHmac } from 'node:crypto';

const base64url = value => Buffer.from(value).toString('base64url');

export function mintToken(secret, sub, { ttlSeconds = 3600 } = {}) {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + ttlSeconds }));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}
