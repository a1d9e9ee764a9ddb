// Prints (or exports) the path of a working Bun binary installed by `npm ci` here, so that the
// benchmark starts Bun itself (not npx/node in front of it: RSS must be the server's own).
// Order: $BUN, node_modules/.bin/bun (put in place by the `bun` package's postinstall), then the
// platform packages directly (when install scripts were skipped), the AVX2-free "baseline" build last.
// Usage: node bun-path.mjs   -> prints the path, exit 1 if none works.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const nm = join(here, 'node_modules');

export function findBun() {
  const candidates = [
    process.env.BUN,
    join(nm, '.bin', 'bun'),
    join(nm, '@oven', 'bun-linux-x64', 'bin', 'bun'),
    join(nm, '@oven', 'bun-linux-aarch64', 'bin', 'bun'),
    join(nm, '@oven', 'bun-linux-x64-baseline', 'bin', 'bun'),
  ].filter(Boolean);
  for (const path of candidates) {
    const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10000 });
    if (r.status === 0 && /^\d+\.\d+\.\d+/.test(r.stdout)) return path;
  }
  return null;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = findBun();
  if (!path) {
    console.error('no working Bun binary: run `npm ci` in bench/peers (see README.md)');
    process.exit(1);
  }
  console.log(path);
}
