import { readFileSync } from 'node:fs';

/**
 * Parses a GITHUB_OUTPUT file as the runner does: `name=value` lines and
 * `name<<DELIMITER` … `DELIMITER` blocks.
 */
export function parseGitHubOutput(file: string): Record<string, string> {
  const lines = readFileSync(file, 'utf8').split('\n');
  const outputs: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`unterminated output ${name}`);
      outputs[name!] = value.join('\n');
    } else {
      const eq = line.indexOf('=');
      if (eq < 0) throw new Error(`malformed output line: ${line}`);
      outputs[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return outputs;
}

/**
 * The environment GitHub gives an action's process: the GITHUB_* files and
 * variables, and every declared input as INPUT_*, empty when unset.
 */
export function actionEnv(options: {
  workspace: string;
  runnerTemp: string;
  output: string;
  event: string;
  ref: string;
  inputs: Record<string, string>;
  extra?: Record<string, string>;
}): NodeJS.ProcessEnv {
  const inputs = Object.fromEntries(Object.entries(options.inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]));
  return {
    PATH: process.env.PATH,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: options.output,
    GITHUB_EVENT_NAME: options.event,
    GITHUB_REF: options.ref,
    RUNNER_TEMP: options.runnerTemp,
    'INPUT_WORKING-DIRECTORY': '.',
    INPUT_CONFIG: '',
    INPUT_PLATFORMS: '',
    INPUT_PYTHON: '',
    'INPUT_DRY-RUN': 'false',
    ...options.extra,
    ...inputs,
  };
}
