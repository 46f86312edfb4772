// Catalog YAML files are parsed when bundled (a plugin in scripts/build.mjs,
// and a matching one in vitest.config.ts): importing one gives its data.
declare module '*.yml' {
  const data: unknown;
  export default data;
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
