// Catalog YAML files are bundled as text (esbuild `loader: text`, and a
// matching plugin in vitest.config.ts).
declare module '*.yml' {
  const text: string;
  export default text;
}

/** The package version, injected by the bundler (and by vitest.config.ts). */
declare const __VERSION__: string;

// Python helper programs are bundled as text too.
declare module '*.py' {
  const text: string;
  export default text;
}
