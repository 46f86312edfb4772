import type { Platform } from '../../src/catalog/catalog.js';
import type { Manylinux } from '../../src/config/types.js';
import type { Host } from '../../src/core/host.js';
import { resolveRoute } from '../../src/routes/resolve.js';
import type { Route } from '../../src/routes/route.js';

/** The route `host` builds `platform` by (what a make program needs: every route builds one), for a test's cell context. */
export function routeOf(host: Host, platform: Platform, manylinux: Manylinux = '2_17'): Route {
  const { route, refusal } = resolveRoute(host, platform, { wheel: false, binary: true, backend: 'make', manylinux });
  if (!route) throw new Error(refusal.reason);
  return route;
}
