import type { z } from 'zod';
import { ZOD } from '../zod.js';

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
  url: ZOD.string().min(1),
  sha256: ZOD.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lowercase hex digits'),
});

const Smoke = ZOD.union([ZOD.string(), ZOD.array(ZOD.string())]);

export const ConfigSchema = ZOD.strictObject({
  project: ZOD
    .strictObject({
      path: ZOD.string().min(1).optional(),
      kind: ZOD.enum(['wheel', 'binary', 'both']).default('wheel'),
      backend: ZOD.enum(['auto', 'maturin', 'setuptools', 'cargo']).default('auto'),
      import: ZOD.string().regex(/^[A-Za-z_][\w.]*$/, 'a module name such as mypkg or mypkg.core').optional(),
      smoke: Smoke.optional(),
      features: ZOD.array(ZOD.string()).default([]),
      'default-features': ZOD.boolean().default(true),
      binary: ZOD
        .strictObject({
          name: ZOD.string().min(1).optional(),
          smoke: ZOD.array(ZOD.string()).default(['--version']),
        })
        .optional(),
    })
    .prefault({}),
  gmp: ZOD
    .strictObject({
      source: ZOD.enum(['system', 'build']).default('system'),
      version: ZOD.string().regex(/^\d+\.\d+\.\d+$/, 'a version such as "6.3.0"').default('6.3.0'),
      libraries: ZOD.array(ZOD.enum(GMP_LIBRARIES)).default(['gmp']),
      tarballs: ZOD.partialRecord(ZOD.enum(GMP_LIBRARIES), Tarball).default({}),
    })
    .prefault({}),
  matrix: ZOD
    .strictObject({
      platforms: ZOD.array(ZOD.string()).optional(),
      python: ZOD.array(ZOD.string()).optional(),
      abi3: ZOD.union([ZOD.literal('auto'), ZOD.boolean()]).default('auto'),
      split: ZOD.enum(['platform', 'python']).default('platform'),
      exclude: ZOD
        .array(ZOD.strictObject({ platform: ZOD.string().optional(), python: ZOD.string().optional() }))
        .default([]),
    })
    .prefault({}),
  publish: ZOD
    .strictObject({
      release: ZOD.enum(['on-tag', 'on-dispatch', 'both', 'never']).default('on-tag'),
      checksums: ZOD.boolean().default(true),
      draft: ZOD.boolean().default(false),
      name: ZOD.string().optional(),
      notes: ZOD.string().optional(),
    })
    .prefault({}),
  linux: ZOD
    .strictObject({
      manylinux: ZOD.enum(MANYLINUX_CHOICES).default('2_17'),
    })
    .prefault({}),
});

export type RawConfig = z.infer<typeof ConfigSchema>;
