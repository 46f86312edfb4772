// Catalog YAML files are bundled as text (esbuild `loader: text`, and a
// matching plugin in vitest.config.ts).
declare module '*.yml' {
  const text: string;
  export default text;
}

/** The package version, injected by the bundler (and by vitest.config.ts). */
declare const __VERSION__: string;

// C sources (built on demand with MinGW) too.
declare module '*.c' {
  const text: string;
  export default text;
}
declare module '*.def' {
  const text: string;
  export default text;
}

// Python helper programs are bundled as text too.
declare module '*.py' {
  const text: string;
  export default text;
}
