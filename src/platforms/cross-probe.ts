import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { CellContext } from '../routes/context.js';

/** A cross compiler, and the Debian packages that make it able to link a program. */
export interface CrossCompiler {
  readonly command: string;
  readonly packages: readonly string[];
}

// Compilers proven, per runner (a test's fake runner starts afresh).
const proven = new WeakMap<object, Set<string>>();

/**
 * Compiles and links a one-line program with a cross compiler before any
 * cross build uses it. A compiler installed without its C library (apt with
 * --no-install-recommends) would otherwise fail deep inside GMP's configure
 * with "could not find a working compiler"; this names the missing package
 * and the command that installs it. Each compiler is proven once per run.
 */
export async function probeCrossCompiler(context: Pick<CellContext, 'runner' | 'workDir' | 'platform'>, compiler: CrossCompiler): Promise<void> {
  const done = proven.get(context.runner) ?? new Set<string>();
  proven.set(context.runner, done);
  if (done.has(compiler.command)) return;
  const source = path.join(context.workDir, 'cross-probe.c');
  await writeFile(source, 'int main(void) { return 0; }\n');
  const result = await context.runner.run(compiler.command, [source, '-o', path.join(context.workDir, 'cross-probe')], {
    quiet: true,
    allowFailure: true,
    purpose: `probing ${compiler.command}`,
  });
  if (result.exitCode !== 0) {
    const cause =
      result.all
        .trim()
        .split('\n')
        .filter((line) => /error|not found|cannot/i.test(line))
        .slice(0, 3)
        .join('; ') || `exit code ${result.exitCode}`;
    throw new UserError({
      key: `platform ${context.platform.id}`,
      message: `the cross compiler ${compiler.command} cannot compile and link a program (${cause}); it needs ${compiler.packages.join(' and ')}`,
      fix: `install them: sudo apt-get install --no-install-recommends ${compiler.packages.join(' ')}`,
    });
  }
  done.add(compiler.command);
}
