import { describe, expect, it } from 'vitest';
import { capProblems, clip, describeFailure, UsageError, UserError } from '../../src/core/errors.js';

describe('describeFailure: any thrown value as one clear failure', () => {
  it('recognises a UserError from another bundle by its brand, not its class', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('native-matrix.user-error')]: true, problems: [{ key: 'config', message: 'bad', fix: 'fix it' }], more: 0 });
    expect(describeFailure(foreign)).toEqual({ exitCode: 1, problems: [{ key: 'config', message: 'bad', fix: 'fix it' }], usage: false });
  });

  it('gives usage errors exit code 2', () => {
    expect(describeFailure(new UsageError('unknown command "x"'))).toEqual({ exitCode: 2, problems: [{ message: 'unknown command "x"' }], usage: true });
  });

  it('says what a file-system error means for the path it names, without a stack', () => {
    const error = Object.assign(new Error("EISDIR: illegal operation on a directory, read '/p/ci'"), { code: 'EISDIR', path: '/p/ci' });
    expect(describeFailure(error)).toEqual({ exitCode: 1, problems: [{ key: '/p/ci', message: 'is a directory, not a file', fix: 'give the path of a file' }], usage: false });
  });

  it('calls anything else a defect, keeping its stack for the report', () => {
    const failure = describeFailure(new TypeError("Cannot read properties of undefined (reading 'cell')"));
    expect(failure.problems).toEqual([{ message: "internal error: Cannot read properties of undefined (reading 'cell')", fix: 'this is a defect of native-matrix: please report it with this log' }]);
    expect(failure.internal).toMatch(/^TypeError: .*\n\s+at /);
  });

  it('shows 20 problems and counts the rest, also those only counted', () => {
    const problems = Array.from({ length: 25 }, (_, i) => ({ message: `p${i}` }));
    expect(capProblems(problems).map((p) => p.message)).toEqual([...problems.slice(0, 20).map((p) => p.message), '… and 5 more problems']);
    expect(describeFailure(new UserError(problems.slice(0, 3), 1000)).problems.map((p) => p.message)).toEqual(['p0', 'p1', 'p2', '… and 1000 more problems']);
  });

  it("quotes a user's text no further than its first token", () => {
    expect(clip('root:x:0:0:root:/root:/bin/bash daemon:x:1:1')).toBe('root:x:0:0:root:/root:/bin/bash…');
    expect(clip('linux')).toBe('linux');
    expect(clip('a'.repeat(50))).toBe(`${'a'.repeat(40)}…`);
  });
});
