import type { z } from 'zod';
import { ZOD } from '../core/zod.js';

/**
 * The structure of a config document (`native-matrix.yml` or
 * `[tool.native-matrix]`). Structure and types only: what depends on the
 * catalog or on the project (platform ids, Python versions, abi3) is checked
 * in validate.ts, where each problem gets its own message and fix.
 */
export const GMP_LIBRARIES = ['gmp', 'mpfr', 'mpc'] as const;

/** The glibc a Linux wheel or binary targets (manylinux_2_17 …), or `host`: the build machine's own. */
export const MANYLINUX_CHOICES = ['2_17', '2_28', '2_31', '2_34', 'host'] as const;

const Tarball = ZOD.strictObject({
  // https, or a server on this machine (a mirror, a test): never file:, ftp: or plain http to another host.
  url: ZOD.string().regex(/^(https:\/\/|http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/])/, 'an https:// URL'),
  sha256: ZOD.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lowercase hex digits'),
});

const Smoke = ZOD.union([ZOD.string(), ZOD.array(ZOD.string())]);

/** `build`: settings for every build step; `overrides` may change them per platform. */
const BuildSettings = ZOD.strictObject({
  environment: ZOD.record(ZOD.string(), ZOD.string()).optional(),
  'before-build': ZOD.union([ZOD.string(), ZOD.array(ZOD.string())]).optional(),
  args: ZOD.array(ZOD.string()).optional(),
});

/** `test`: the project's own tests, run against the installed wheel. */
const TestSettings = ZOD.strictObject({
  requires: ZOD.array(ZOD.string().min(1)).optional(),
  command: ZOD.union([ZOD.string(), ZOD.array(ZOD.string())]).optional(),
  sources: ZOD.array(ZOD.string().min(1)).optional(),
});

export const ConfigSchema = ZOD.strictObject({
  project: ZOD.strictObject({
    path: ZOD.string().min(1).optional(),
    kind: ZOD.enum(['wheel', 'binary', 'both']).default('wheel'),
    backend: ZOD.enum(['auto', 'maturin', 'setuptools', 'cargo']).default('auto'),
    import: ZOD.string()
      .regex(/^[A-Za-z_][\w.]*$/, 'a module name such as mypkg or mypkg.core')
      .optional(),
    smoke: Smoke.optional(),
    features: ZOD.array(ZOD.string()).default([]),
    'default-features': ZOD.boolean().default(true),
    binary: ZOD.strictObject({
      name: ZOD.string().min(1).optional(),
      smoke: ZOD.array(ZOD.string()).default(['--version']),
      package: ZOD.string().min(1).optional(),
    }).optional(),
  }).prefault({}),
  gmp: ZOD.strictObject({
    source: ZOD.enum(['system', 'build']).default('system'),
    version: ZOD.string()
      .regex(/^\d+\.\d+\.\d+$/, 'a version such as "6.3.0"')
      .default('6.3.0'),
    libraries: ZOD.array(ZOD.enum(GMP_LIBRARIES)).default(['gmp']),
    tarballs: ZOD.partialRecord(ZOD.enum(GMP_LIBRARIES), Tarball).default({}),
  }).prefault({}),
  matrix: ZOD.strictObject({
    platforms: ZOD.array(ZOD.string()).optional(),
    python: ZOD.array(ZOD.string()).optional(),
    abi3: ZOD.union([ZOD.literal('auto'), ZOD.boolean()]).default('auto'),
    split: ZOD.enum(['platform', 'python']).default('platform'),
    exclude: ZOD.array(ZOD.strictObject({ platform: ZOD.string().optional(), python: ZOD.string().optional() })).default([]),
  }).prefault({}),
  publish: ZOD.strictObject({
    release: ZOD.enum(['on-tag', 'on-dispatch', 'both', 'never']).default('on-tag'),
    checksums: ZOD.boolean().default(true),
    draft: ZOD.boolean().default(false),
    sdist: ZOD.boolean().default(true),
    pypi: ZOD.boolean().default(false),
    name: ZOD.string().optional(),
    notes: ZOD.string().optional(),
    // May a published release's assets get other bytes?
    replace: ZOD.boolean().default(false),
    // May a published release lose assets that this run does not produce?
    prune: ZOD.boolean().default(false),
    // auto: from the tag (a pre-release marker; Latest only for the highest version).
    prerelease: ZOD.union([ZOD.literal('auto'), ZOD.boolean()]).default('auto'),
    latest: ZOD.union([ZOD.literal('auto'), ZOD.boolean()]).default('auto'),
  }).prefault({}),
  windows: ZOD.strictObject({
    // windows: natively on a Windows runner with MSYS2; linux: cross-built
    // on an ubuntu runner (maturin projects), then imported on Windows.
    'build-on': ZOD.enum(['windows', 'linux']).default('windows'),
  }).prefault({}),
  macos: ZOD.strictObject({
    // macos: natively on a Mac runner; linux: cross-built with zig on an
    // ubuntu runner, its Mach-O files checked there, then imported on a Mac.
    'build-on': ZOD.enum(['macos', 'linux']).default('macos'),
  }).prefault({}),
  build: BuildSettings.optional(),
  test: TestSettings.optional(),
  overrides: ZOD.array(ZOD.strictObject({ platforms: ZOD.array(ZOD.string()), build: BuildSettings.optional(), test: TestSettings.optional() })).default([]),
  linux: ZOD.strictObject({
    manylinux: ZOD.enum(MANYLINUX_CHOICES).default('2_17'),
  }).prefault({}),
  metadata: ZOD.strictObject({
    // true: a metadata warning (no readme, no content type) fails the cell, as an error does.
    strict: ZOD.boolean().default(false),
  }).prefault({}),
});

export type RawBuildSettings = z.infer<typeof BuildSettings>;
export type RawTestSettings = z.infer<typeof TestSettings>;
export type RawConfig = z.infer<typeof ConfigSchema>;
