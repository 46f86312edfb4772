import path from 'node:path';
import { eq, valid } from '@renovatebot/pep440';
import { UserError } from '../core/errors.js';
import type { CellContext } from '../routes/context.js';
import { parseDistributionName } from '../core/dist-name.js';
import { readPackageMetadata } from '../core/package-metadata.js';
import { displayPath } from '../config/source.js';
import { readToml, table } from '../project/files.js';
import type { ToolEnv } from '../core/tools.js';

/** What `twine check` said of one file: errors PyPI refuses the upload for, warnings it accepts. */
export interface TwineVerdict {
  readonly file: string;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Reads `twine check`'s report: `Checking <file>: PASSED|FAILED…` per file,
 * then `WARNING`/`ERROR` entries whose continuation lines are indented.
 */
export function parseTwineCheck(output: string): TwineVerdict[] {
  const verdicts: { file: string; errors: string[]; warnings: string[] }[] = [];
  // The list the last WARNING/ERROR entry went to: continuation lines extend it.
  let open: string[] | undefined;
  for (const line of output.split(/\r?\n/)) {
    const checking = /^Checking (.+?): (?:PASSED|FAILED)/.exec(line);
    if (checking) {
      verdicts.push({ file: path.basename(checking[1]!), errors: [], warnings: [] });
      open = undefined;
      continue;
    }
    const level = /^(WARNING|ERROR)\s+(.*)$/.exec(line);
    if (level) {
      // An ERROR before any `Checking` line (a file twine cannot read) belongs to no file.
      if (verdicts.length === 0) verdicts.push({ file: '', errors: [], warnings: [] });
      open = level[1] === 'ERROR' ? verdicts.at(-1)!.errors : verdicts.at(-1)!.warnings;
      open.push(level[2]!.trimEnd());
    } else if (open && /^\s+\S/.test(line)) {
      open[open.length - 1] = `${open.at(-1)!}\n${line.trim()}`;
    }
  }
  return verdicts;
}

/** A metadata warning of one file: PyPI accepts it, users see it (no description on the project page). */
export interface MetadataWarning {
  readonly file: string;
  readonly message: string;
}

/**
 * Checks the metadata PyPI will read from wheels and sdists, in the build
 * cell, before anything reaches a release or an index: `twine check` (a
 * description PyPI cannot render, a malformed field), and that each file's
 * name and version agree with its metadata (PyPI refuses the upload
 * otherwise). Those fail the cell. Warnings (no readme, no content type)
 * are returned for the log, the manifest and the summary, and fail the
 * cell only with `metadata.strict: true`.
 */
export async function checkMetadata(context: CellContext, tools: ToolEnv, files: readonly string[]): Promise<MetadataWarning[]> {
  if (files.length === 0) return [];
  const result = await context.runner.run(tools.python, ['-m', 'twine', '--no-color', 'check', ...files], {
    allowFailure: true,
    // Plain, unwrapped text for the log and the messages.
    env: { NO_COLOR: '1', FORCE_COLOR: undefined, COLUMNS: '1000' },
    purpose: 'twine check',
  });
  const verdicts = parseTwineCheck(result.all);
  const failed = verdicts.filter((v) => v.errors.length > 0);
  if (result.exitCode !== 0 || failed.length > 0) {
    const said = failed.length > 0 ? failed.map((v) => `${v.file || 'twine'}: ${v.errors.join('\n')}`).join('\n') : result.all.trim();
    throw new UserError({ key: 'metadata', message: `PyPI would refuse ${names(files)}:\n${said}`, fix: readmeFix(context, said) });
  }
  for (const file of files) await checkNameAndVersion(file);
  const warnings = verdicts.flatMap((v) => v.warnings.map((message) => ({ file: v.file, message: plain(message) })));
  if (warnings.length > 0 && context.config.metadata.strict) {
    throw new UserError({
      location: context.config.locate(['metadata', 'strict']),
      key: 'metadata.strict',
      message: `the metadata of ${names(files)} has warnings:\n${warnings.map((w) => `${w.file}: ${w.message}`).join('\n')}`,
      fix: 'complete the metadata in pyproject.toml (e.g. readme = "README.md"), or set metadata.strict: false to accept the warnings',
    });
  }
  return warnings;
}

/** Each warning once, as a warning the user sees in the log and the summary. */
export function reportMetadataWarnings(context: CellContext, warnings: readonly MetadataWarning[]): void {
  for (const message of new Set(warnings.map((w) => w.message))) {
    const files = warnings.filter((w) => w.message === message).map((w) => w.file);
    context.reporter.warning({
      key: 'metadata',
      message: `${files.join(', ')}: ${message} (PyPI accepts it)`,
      fix: 'give the project a readme in pyproject.toml (readme = "README.md") for its PyPI page; metadata.strict: true makes such warnings fail the cell',
    });
  }
}

/** The manifest field of one file's warnings, when it has any. */
export function warningsOf(warnings: readonly MetadataWarning[], file: string): { metadataWarnings?: string[] } {
  const mine = warnings.filter((w) => w.file === path.basename(file)).map((w) => w.message);
  return mine.length > 0 ? { metadataWarnings: mine } : {};
}

const names = (files: readonly string[]) => files.map((f) => path.basename(f)).join(', ');
/** twine quotes field names in backticks; the message reads the same without them. */
const plain = (message: string) => message.replace(/`/g, '');

/** The fix for a refused description names the file it comes from: the readme that pyproject.toml names. */
function readmeFix(context: CellContext, said: string): string {
  if (!/long_description/.test(said)) return 'fix the project metadata that twine names above (pyproject.toml, or setup.py/setup.cfg)';
  const pyproject = path.join(context.config.project.dir, 'pyproject.toml');
  const readme = table(table(readToml(pyproject)).project).readme;
  const file = typeof readme === 'string' ? readme : typeof table(readme).file === 'string' ? String(table(readme).file) : undefined;
  if (!file) return 'fix the long_description that setup.py or setup.cfg gives so that PyPI can render it';
  // A readme named neither .md nor .rst is read as reStructuredText unless its content type says otherwise.
  const contentType = /\.(md|markdown|rst)$/i.test(file) ? '' : `, or give its content type (readme = { file = "${file}", content-type = "text/markdown" })`;
  return `fix the markup of ${displayPath(path.join(context.config.project.dir, file))} (project.readme in ${displayPath(pyproject)}) so that PyPI can render it${contentType}`;
}

/** PyPI refuses a file whose name and version disagree with its metadata's Name and Version. */
async function checkNameAndVersion(file: string): Promise<void> {
  const fromName = parseDistributionName(path.basename(file));
  const metadata = await readPackageMetadata(file);
  if (!fromName || !metadata) return;
  const normalise = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '_');
  const problems = [
    normalise(metadata.name) !== normalise(fromName.distribution) ? `its metadata names ${metadata.name}, its file name ${fromName.distribution}` : '',
    !sameVersion(metadata.version, fromName.version) ? `its metadata has version ${metadata.version}, its file name ${fromName.version}` : '',
  ].filter(Boolean);
  if (problems.length === 0) return;
  throw new UserError({ key: 'metadata', message: `PyPI would refuse ${path.basename(file)}: ${problems.join('; ')}`, fix: 'build the file with its backend, and do not rename it' });
}

/** The same version as PEP 440 compares them (1.0-post1 is 1.0.post1), or the same text where one is not PEP 440. */
function sameVersion(metadata: string, fromName: string): boolean {
  if (metadata === fromName || metadata.replace(/-/g, '_') === fromName) return true;
  return valid(metadata) !== null && valid(fromName) !== null && eq(metadata, fromName);
}
