import { stripVTControlCharacters } from 'node:util';

// The lines of a failed command's output that say why it failed: a compiler's
// errors with their context, a linker's missing symbols, a Python traceback,
// a Rust panic. A build prints thousands of lines (configure, make, warnings);
// the last twenty are rarely the cause.

/** Where an explanation starts. Warnings are not causes. */
const CAUSE =
  /(?:^|[\s:])(?:fatal )?error(?:\[E\d+\])?:|undefined reference to|cannot find -l|ld(?:\.\w+)?: cannot find|^Traceback \(most recent call last\)|panicked at|^\w*Error: |^E\s{2,}\S|No such file or directory|command not found/i;
/** Lines that only repeat what came before (cargo's and make's summaries of the failure above). */
const ECHO = /^(?:make(?:\[\d+\])?: \*\*\*|For more information about this error|warning: build failed, waiting for other jobs|error: could not compile)/;

const MAX_BLOCK = 14;
const MAX_LINES = 40;
const FALLBACK_LINES = 20;

/**
 * The explaining lines of `output`: each cause with the lines that belong to
 * it (a rustc diagnostic up to its blank line, a traceback to its exception,
 * a compiler's `In function` line before it), at most 40 lines in all; the
 * last 20 lines when nothing looks like a cause.
 */
export function failureLines(output: string): string[] {
  const lines = stripVTControlCharacters(output.replace(/\r/g, '')).split('\n');
  const taken = new Set<number>();
  for (let i = 0; i < lines.length && taken.size < MAX_LINES; i++) {
    if (taken.has(i) || !CAUSE.test(lines[i]!) || ECHO.test(lines[i]!)) continue;
    // gcc and clang name the function before its first error.
    if (i > 0 && /: In (?:function|member function|instantiation)/.test(lines[i - 1]!)) taken.add(i - 1);
    const traceback = lines[i]!.startsWith('Traceback');
    for (let j = i; j < Math.min(lines.length, i + (traceback ? MAX_BLOCK * 2 : MAX_BLOCK)) && taken.size < MAX_LINES; j++) {
      const line = lines[j]!;
      if (j > i && line.trim() === '') break;
      // The next diagnostic starts a block of its own; a traceback ends at its exception line.
      if (j > i && !traceback && CAUSE.test(line) && !/^\s/.test(line) && !/^\S+:\d+:\d+: note:/.test(line)) break;
      taken.add(j);
      if (traceback && j > i && /^\S/.test(line)) break;
    }
  }
  if (taken.size === 0) return lines.filter((line, i) => line.trim() !== '' || i < lines.length - 1).slice(-FALLBACK_LINES);
  return [...taken].sort((a, b) => a - b).map((i) => lines[i]!);
}
