import type { BuildBackend } from '../project/detect.js';
import type { Route } from './route.js';

// Which routes each build backend supports, for wheels and for programs: the
// one table the resolver reads. A rule returns why the route cannot build it.

type RouteRule = (route: Route) => string | undefined;

export interface BackendRoutes {
  readonly wheel?: RouteRule;
  readonly binary?: RouteRule;
}

const everywhere: RouteRule = () => undefined;

export const BACKEND_ROUTES: Readonly<Record<BuildBackend, BackendRoutes>> = {
  // zig links Rust for any arch with rustup's standard library for it; the
  // cross gcc of linux.manylinux: host does not (rustup's target is not assumed).
  // A project of kind both builds its program with cargo, whatever builds its wheels.
  maturin: {
    binary: everywhere,
    wheel: (route) => (route.id === 'linux-qemu' && !route.zig ? `maturin wheels for ${route.platform.arch} are cross-built with zig only, and linux.manylinux is host` : undefined),
  },
  // setuptools and any PEP 517 backend: the project's own build compiles C.
  // macOS on Linux has no macOS CPython to compile against.
  setuptools: {
    binary: everywhere,
    wheel: (route) =>
      route.id === 'macos-zig'
        ? "wheels of a setuptools C extension are built for macOS on a Mac: the build compiles against the target CPython's headers and sysconfig, which a Linux host has not (set macos.build-on: macos)"
        : undefined,
  },
  cargo: { binary: everywhere },
  make: { binary: everywhere },
};
