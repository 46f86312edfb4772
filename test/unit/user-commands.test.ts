import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import type { CellContext } from '../../src/routes/context.js';
import { ExecaRunner } from '../../src/core/process/runner.js';
import { installerFor } from '../../src/core/installer.js';
import { smokeWheel } from '../../src/stages/smoke.js';
import { expandEnvironment, fillPlaceholders, runBeforeBuild } from '../../src/backends/user-build.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { quietLog } from '../helpers/engine.js';
import { routeOf } from '../helpers/route.js';
import { execFileSync } from 'node:child_process';
import { hostFacts } from '../../src/core/host.js';

const sh = hostFacts({ os: 'linux', arch: 'x86_64' }).quote;
const cmd = hostFacts({ os: 'windows', arch: 'x86_64' }).quote;

const catalog = loadCatalog();
const silent = { info() {}, status() {}, warning() {}, group: <T>(_: string, work: () => Promise<T>) => work(), section: <T>(_: string, work: () => Promise<T>) => work() };
const tools = { dir: '/t', python: '/t/bin/python', pipRunner: '/t/lib/python3.12/site-packages/pip/__pip-runner__.py', bin: (n: string) => `/t/bin/${n}`, uv: '/uv/bin/uv' };
const interpreter = { version: '3.12', executable: '/py/bin/python3.12', fullVersion: '3.12.1', freeThreaded: false };

function setup(yaml: string) {
  const project = mkdtempSync(path.join(tmpdir(), 'nm-project-'));
  mkdirSync(path.join(project, 'tests'));
  writeFileSync(path.join(project, 'tests', 'test_demo.py'), 'def test_it(): pass\n');
  const wheelDir = mkdtempSync(path.join(tmpdir(), 'nm-out-'));
  writeFileSync(path.join(wheelDir, 'demo-0.1.0-cp311-cp311-linux_x86_64.whl'), '');
  writeFileSync(path.join(wheelDir, 'demo-0.1.0-cp312-cp312-linux_x86_64.whl'), '');
  const config = validateConfig(parseYamlConfig(yaml, 'native-matrix.yml', path.join(project, 'native-matrix.yml')), { catalog });
  return { project, wheelDir, config };
}

describe('the smoke environment and test.command', () => {
  const yaml = `build:
  environment: { FROM_USER: "$HOME/x", LEAK: "[$GITHUB_TOKEN]" }
test:
  requires: [pytest]
  command: "pytest {project}/tests --wheel={wheel} --python={python}"
  sources: [tests]
`;
  const env = { PATH: '/usr/bin', HOME: '/h', PIP_FIND_LINKS: '/opt/wheels', PIP_INDEX_URL: 'https://index.example/simple', GITHUB_TOKEN: 'ghs_secret', CFLAGS: '-O0' };

  it("installs the wheel from the output only, its requirements and test.requires from the user's index, and runs the tests in a copy of test.sources", async () => {
    const { project, wheelDir, config } = setup(yaml);
    let sourcesCopied = false;
    const runner = new FakeRunner(({ args, options }) => {
      if (args.at(-1)?.includes('importlib.metadata')) return { stdout: '["six>=1.16", "colorama; sys_platform == \\"win32\\""]\n' };
      if (options.userShellCommand) sourcesCopied = existsSync(path.join(options.cwd!, 'tests', 'test_demo.py'));
      return undefined;
    });
    const context: CellContext = {
      platform: catalog.platforms.get('linux-x86_64')!,
      route: routeOf({ os: 'linux', arch: 'x86_64' }, catalog.platforms.get('linux-x86_64')!, config.linux.manylinux),
      config,
      runner,
      reporter: silent,
      cacheDir: '/cache',
      workDir: mkdtempSync(path.join(tmpdir(), 'nm-work-')),
      env,
      sourceDateEpoch: 315532800,
    };
    const result = await smokeWheel({ context, tools, interpreter, wheelDir, distribution: 'demo', importName: 'demo' });
    expect(result).toMatchObject({ python: '3.12', passed: true, test: { passed: true } });

    const [venvCmd, wheelCmd, requiresCmd, depsCmd, importCmd, testCmd] = runner.commands;
    const venv = venvCmd!.args.at(-1)!;
    const python = path.join(venv, 'bin', 'python');
    expect([venvCmd!.file, ...venvCmd!.args]).toEqual(['/uv/bin/uv', 'venv', '--quiet', '--no-project', '--no-config', '--python', '/py/bin/python3.12', venv]);
    expect([wheelCmd!.file, ...wheelCmd!.args]).toEqual([
      '/uv/bin/uv',
      'pip',
      'install',
      '--no-config',
      '--python',
      python,
      '--no-index',
      '--no-deps',
      '--find-links',
      wheelDir,
      '--only-binary',
      ':all:',
      'demo',
    ]);
    expect(requiresCmd!.file).toBe(python);
    expect([depsCmd!.file, ...depsCmd!.args]).toEqual(['/uv/bin/uv', 'pip', 'install', '--no-config', '--python', python, 'six>=1.16', 'colorama; sys_platform == "win32"', 'pytest']);
    // The user's index reaches uv in its own terms; the machine's find-links and the token do not.
    expect(depsCmd!.options.env).toMatchObject({ UV_DEFAULT_INDEX: 'https://index.example/simple', PIP_INDEX_URL: 'https://index.example/simple' });
    for (const command of runner.commands.slice(0, 5)) {
      expect(command.options.cleanEnv).toBe(true);
      expect(Object.keys(command.options.env ?? {})).not.toContain('PIP_FIND_LINKS');
      expect(Object.keys(command.options.env ?? {})).not.toContain('GITHUB_TOKEN');
    }
    expect(importCmd!.args.slice(0, 2)).toEqual(['-I', '-c']);

    // test.command: one shell command line with the placeholders filled, in the empty directory, the venv first on PATH.
    expect(testCmd!.options.userShellCommand).toBe(true);
    expect(testCmd!.args).toEqual([]);
    expect(testCmd!.file).toBe(`pytest ${project}/tests --wheel=${wheelDir}/demo-0.1.0-cp312-cp312-linux_x86_64.whl --python=${python}`);
    expect(testCmd!.cwd).toBe(importCmd!.cwd);
    expect(sourcesCopied).toBe(true);
    expect(testCmd!.options.env).toMatchObject({ FROM_USER: '/h/x', LEAK: '[]', PATH: `${path.dirname(python)}:/usr/bin`, VIRTUAL_ENV: venv, PYTHONPATH: undefined });
    expect(runner.commands).toHaveLength(6);
  });

  it('records a failing test run with its output, after a passing import', async () => {
    const { wheelDir, config } = setup(yaml);
    const runner = new FakeRunner(({ options }) => (options.userShellCommand ? { exitCode: 1, all: 'FAILED tests/test_demo.py::test_it' } : undefined));
    const context: CellContext = {
      platform: catalog.platforms.get('linux-x86_64')!,
      route: routeOf({ os: 'linux', arch: 'x86_64' }, catalog.platforms.get('linux-x86_64')!, config.linux.manylinux),
      config,
      runner,
      reporter: silent,
      cacheDir: '/cache',
      workDir: mkdtempSync(path.join(tmpdir(), 'nm-work-')),
      env,
      sourceDateEpoch: 315532800,
    };
    const result = await smokeWheel({ context, tools, interpreter, wheelDir, distribution: 'demo', importName: 'demo' });
    expect(result.passed).toBe(true);
    expect(result.test).toMatchObject({ passed: false, output: 'exit code 1:\nFAILED tests/test_demo.py::test_it' });
  });

  it('skips the index when the wheel has no requirements and there are no tests', async () => {
    const { wheelDir } = setup('');
    const config = validateConfig(parseYamlConfig('', 'native-matrix.yml', '/p/native-matrix.yml'), { catalog });
    const runner = new FakeRunner();
    const context: CellContext = {
      platform: catalog.platforms.get('linux-x86_64')!,
      route: routeOf({ os: 'linux', arch: 'x86_64' }, catalog.platforms.get('linux-x86_64')!, config.linux.manylinux),
      config,
      runner,
      reporter: silent,
      cacheDir: '/cache',
      workDir: mkdtempSync(path.join(tmpdir(), 'nm-work-')),
      env,
      sourceDateEpoch: 315532800,
    };
    const result = await smokeWheel({ context, tools, interpreter, wheelDir, distribution: 'demo', importName: 'demo' });
    expect(result).toMatchObject({ passed: true });
    expect(result.test).toBeUndefined();
    expect(runner.commands).toHaveLength(4);
  });
});

describe('the installer', () => {
  it('is uv for an interpreter it can run, pip (run by the interpreter) for a foreign one or without uv', () => {
    expect(installerFor(interpreter, tools).name).toBe('uv');
    expect(installerFor(interpreter, { ...tools, uv: undefined }).name).toBe('pip');
    const foreign = { ...interpreter, foreign: { launcher: ['qemu-aarch64', '-L', '/s'], sysroot: '/s', native: interpreter } };
    const pip = installerFor(foreign, tools);
    expect(pip.name).toBe('pip');
    expect(pip.install('/v/bin/python', ['x'])).toEqual(['qemu-aarch64', ['-L', '/s', '/v/bin/python', tools.pipRunner, 'install', '--disable-pip-version-check', '--no-input', 'x']]);
  });
});

describe('user commands and variables', () => {
  it('expand $NAME and ${NAME} from the environment and earlier variables, without running anything', () => {
    expect(expandEnvironment({ A: '$HOME/a', B: '${A}:$(id)', C: '$MISSING.' }, { HOME: '/h' })).toEqual({ A: '/h/a', B: '/h/a:$(id)', C: '.' });
  });

  it("fill placeholders with paths quoted for the host's shell and leave other braces alone", () => {
    expect(fillPlaceholders("pytest {project}/t; awk '{print}' ${X}", { project: "/a b/it's" }, sh)).toBe(`pytest '/a b/it'\\''s'/t; awk '{print}' \${X}`);
    expect(fillPlaceholders('{python} -m pytest', { python: 'C:\\Py 3\\python.exe' }, cmd)).toBe('"C:\\Py 3\\python.exe" -m pytest');
    // A foreign interpreter's {python} is its launcher and the interpreter, word by word.
    expect(fillPlaceholders('{python} -m pytest', { python: ['qemu-aarch64', '-L', '/sys root', '/v/bin/python'] }, sh)).toBe("qemu-aarch64 -L '/sys root' /v/bin/python -m pytest");
  });

  it("quote for the host that runs the command: a Windows cell's paths on Linux reach sh intact", () => {
    // The wine venv's interpreter is a Windows layout joined onto a Linux path; sh would eat its backslashes unquoted.
    const wine = routeOf({ os: 'linux', arch: 'x86_64' }, catalog.platforms.get('windows-x86_64')!);
    for (const python of ['/tmp/x/venv\\Scripts\\python.exe', '/tmp/a b/venv\\Scripts\\python.exe', '/tmp/$HOME/`x`\\y']) {
      const line = fillPlaceholders('printf %s {python}', { python }, wine.host.quote);
      expect(execFileSync('/bin/sh', ['-c', line]).toString()).toBe(python);
    }
  });

  it("run through the shell on purpose, without the runner's secrets", async () => {
    const saved = process.env.GITHUB_TOKEN;
    process.env.GITHUB_TOKEN = 'ghs_secret';
    try {
      const runner = new ExecaRunner(quietLog());
      const { stdout } = await runner.run('echo $((6 * 7)) "${GITHUB_TOKEN:-none}" "$FROM_USER"', [], { userShellCommand: true, env: { FROM_USER: 'yes' }, quiet: true });
      expect(stdout.trim()).toBe('42 none yes');
      await expect(runner.run('echo', ['x'], { userShellCommand: true })).rejects.toThrow(/one command line/);
    } finally {
      if (saved === undefined) delete process.env.GITHUB_TOKEN;
      else process.env.GITHUB_TOKEN = saved;
    }
  });
});

describe('abi3audit', () => {
  it('fails an abi3 wheel that leaves the stable ABI with the finding, and passes a clean one', async () => {
    const { auditAbi3 } = await import('../../src/stages/abi3-audit.js');
    const { config } = setup('');
    const finding = 'demo-0.1.0-cp310-abi3-linux_x86_64.whl: demo/_demo.abi3.so uses the Python 3.12 ABI, but is tagged for the Python 3.10 ABI\n  PyLong_AsInt';
    const runner = new FakeRunner(({ args }) => (args.at(-1)!.includes('bad') ? { exitCode: 1, all: finding } : undefined));
    const context: CellContext = {
      platform: catalog.platforms.get('linux-x86_64')!,
      route: routeOf({ os: 'linux', arch: 'x86_64' }, catalog.platforms.get('linux-x86_64')!, config.linux.manylinux),
      config,
      runner,
      reporter: silent,
      cacheDir: '/cache',
      workDir: '/w',
      env: {},
      sourceDateEpoch: 315532800,
    };
    await auditAbi3(context, tools, '/out/good-0.1.0-cp310-abi3-linux_x86_64.whl');
    expect([runner.commands[0]!.file, ...runner.commands[0]!.args]).toEqual(['/t/bin/abi3audit', '--strict', '--verbose', '/out/good-0.1.0-cp310-abi3-linux_x86_64.whl']);
    const error = await auditAbi3(context, tools, '/out/bad-0.1.0-cp310-abi3-linux_x86_64.whl').catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `abi3audit: bad-0.1.0-cp310-abi3-linux_x86_64.whl is tagged abi3 but does not keep to the stable ABI:\n${finding}; build it without the limited API (matrix.abi3: false), or replace the calls abi3audit names with stable-ABI ones`,
    );
  });
});

describe('build.before-build', () => {
  const yaml = 'build:\n  before-build: ["{python} gen.py"]\n';
  const run = async (subject: Parameters<typeof runBeforeBuild>[2]) => {
    const { config } = setup(yaml);
    const runner = new FakeRunner();
    const context: CellContext = {
      platform: catalog.platforms.get('linux-x86_64')!,
      route: routeOf({ os: 'linux', arch: 'x86_64' }, catalog.platforms.get('linux-x86_64')!, config.linux.manylinux),
      config,
      runner,
      reporter: silent,
      cacheDir: '/cache',
      workDir: '/w',
      env: { PATH: '/usr/bin' },
      sourceDateEpoch: 315532800,
    };
    await runBeforeBuild(context, {}, subject);
    return runner.commands[0]!;
  };

  it('runs with the interpreter built for first on PATH and as {python}', async () => {
    const command = await run(interpreter);
    expect(command.file).toBe('/py/bin/python3.12 gen.py');
    expect(command.env!.PATH).toBe('/py/bin:/usr/bin');
  });

  it('never puts `.` on PATH for an interpreter known only by name (Windows CPython under wine): the host python3 stands in', async () => {
    const wine = { ...interpreter, executable: 'python3.12', foreign: { launcher: ['wine'], sysroot: '/prefix' } };
    const command = await run(wine);
    expect(command.file).toBe('python3 gen.py');
    expect(command.env!.PATH).toBe('/usr/bin');
  });
});
