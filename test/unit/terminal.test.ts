import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TerminalReporter } from '../../src/adapters/terminal.js';

/** A stream that keeps what it is given; a terminal of 100 columns when `tty`. */
function capture(tty: boolean) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  Object.assign(stream, { isTTY: tty, columns: 100, rows: 30 });
  return { stream, text: () => chunks.join('') };
}

async function cellRun(reporter: TerminalReporter): Promise<void> {
  await reporter.section('linux-x86_64 (cell 1 of 2)', async () => {
    await reporter.group('Find the interpreters', () => Promise.resolve(reporter.info('SOURCE_DATE_EPOCH=1 (a detail)')));
    await reporter.group('Smoke-test in 3.12', () => Promise.resolve(reporter.status('Python 3.12 (3.12.1): passed in 0.3 s')));
  });
  // Refused before any work: no heading, only the line that says why.
  await reporter.section('macos-arm64 (cell 2 of 2)', () => Promise.resolve());
  reporter.status('Skipping macos-arm64: needs a Mac');
  reporter.warning({ key: 'metadata', message: 'long_description missing', fix: 'give a readme' });
}

describe('the terminal, quiet by default', () => {
  it('without a terminal: a heading per cell, a line per stage, status lines and warnings; no details, no control characters', async () => {
    const { stream, text } = capture(false);
    await cellRun(new TerminalReporter(stream));
    const lines = text()
      .replace(/\d+\.\d s/g, 'T')
      .split('\n');
    expect(lines).toEqual([
      'linux-x86_64 (cell 1 of 2)',
      '  Find the interpreters in T',
      '  Python 3.12 (3.12.1): passed in T',
      '  Smoke-test in 3.12 in T',
      'linux-x86_64 (cell 1 of 2): done in T',
      'Skipping macos-arm64: needs a Mac',
      'warning: metadata: long_description missing; give a readme',
      '',
    ]);
    // eslint-disable-next-line no-control-regex -- what it looks for: control characters (a newline aside)
    expect(text()).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
  });

  it('verbose: every detail, with the stages opened and closed', async () => {
    const { stream, text } = capture(false);
    await cellRun(new TerminalReporter(stream, { verbose: true }));
    expect(text()).toContain('==> Find the interpreters\nSOURCE_DATE_EPOCH=1 (a detail)\n<== Find the interpreters (');
  });

  it('on a terminal: a live line with the elapsed time and the stage running now, cleared at the end', async () => {
    const { stream, text } = capture(true);
    const reporter = new TerminalReporter(stream);
    await reporter.section('linux-x86_64 (cell 1 of 2)', () => reporter.group('Build wheels (maturin)', () => Promise.resolve()));
    expect(text()).toContain('0:00 linux-x86_64 (cell 1 of 2) › Build wheels (maturin)');
    expect(text()).toContain('\u001b[');
    expect(text()).toContain('  Build wheels (maturin) in ');
  });
});

describe("a cell's build.log", () => {
  it('keeps no credential of the environment: their values are written ***', async () => {
    const { secretRedactor } = await import('../../src/stages/cell-log.js');
    const redact = secretRedactor({ GITHUB_TOKEN: 'ghs_abcdefgh12345', 'INPUT_GITHUB-TOKEN': 'ghs_abcdefgh12345', TWINE_PASSWORD: 'pypi-secret-value', PATH: '/usr/bin:/bin', SHORT_TOKEN: 'abc' });
    expect(redact('pip: using pypi-secret-value at https://x:ghs_abcdefgh12345@host/ on /usr/bin:/bin, abc')).toBe('pip: using *** at https://x:***@host/ on /usr/bin:/bin, abc');
  });
});
