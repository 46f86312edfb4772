import path from 'node:path';

/**
 * Variables that point compilers and linkers at an install prefix of the GMP
 * family, ahead of what the environment already has. Native gcc honours the
 * *_PATH variables; cross compilers, clang and make only the flags.
 * `paths` is the path flavour of the machine that runs the build.
 */
export function prefixEnv(prefix: string, env: NodeJS.ProcessEnv = {}, paths: path.PlatformPath = path): Record<string, string> {
  const include = paths.join(prefix, 'include');
  const lib = paths.join(prefix, 'lib');
  const list = (dir: string, existing?: string) => [dir, existing].filter(Boolean).join(paths.delimiter);
  const flags = (flag: string, existing?: string) => [flag, existing].filter(Boolean).join(' ');
  return {
    CPPFLAGS: flags(`-I${include}`, env.CPPFLAGS),
    LDFLAGS: flags(`-L${lib}`, env.LDFLAGS),
    C_INCLUDE_PATH: list(include, env.C_INCLUDE_PATH),
    LIBRARY_PATH: list(lib, env.LIBRARY_PATH),
  };
}
