#!/usr/bin/env node
import { createRequire as __nativeMatrixRequire } from 'node:module'; const require = __nativeMatrixRequire(import.meta.url);
import{B as x,a as m,d as l,e as u,l as y,o as h,r as w,y as v,z as b}from"./chunks/cli-chunk-FO72YA4J.js";import{a as s}from"./chunks/cli-chunk-RL3XEE75.js";import P from"node:path";import{parseArgs as F}from"node:util";var i=class{constructor(r=process.stderr){this.stream=r}stream;static{s(this,"TerminalReporter")}info(r){this.stream.write(`${r}
`)}warning(r){this.stream.write(`warning: ${m(r)}
`)}async group(r,e){let t=performance.now();this.stream.write(`==> ${r}
`);try{return await e()}finally{this.stream.write(`<== ${r} (${((performance.now()-t)/1e3).toFixed(1)} s)
`)}}error(r){this.stream.write(`error: ${m(r)}
`)}failure(r){r.problems.forEach(e=>this.error(e)),r.internal&&this.stream.write(`${r.internal}
`)}};var c=`Usage:
  native-matrix plan    [--config F] [--platforms L] [--python L] [--json]
  native-matrix build   [--config F] [--cell JSON | --platform ID] [--python L] [--out DIR]
                        (--platform sdist: the sdist cell)
  native-matrix publish [--config F] --from DIR [--tag T] [--repo OWNER/NAME] [--dry-run]
                        [--platforms L] [--python L]   (the plan's narrowing, if any)
  native-matrix run     [--config F] [--out DIR]

Common options:
  --config F              config file (default: native-matrix.yml, else [tool.native-matrix] in pyproject.toml)
  --working-directory D   project root (default: the current directory)
  -h, --help              this text
  -V, --version           the version of native-matrix`,p={config:{type:"string"},"working-directory":{type:"string"},help:{type:"boolean",short:"h"}},C={plan:{...p,platforms:{type:"string"},python:{type:"string"},json:{type:"boolean"}},build:{...p,cell:{type:"string"},platform:{type:"string"},python:{type:"string"},out:{type:"string"}},publish:{...p,from:{type:"string"},platforms:{type:"string"},python:{type:"string"},tag:{type:"string"},repo:{type:"string"},"dry-run":{type:"boolean"}},run:{...p,out:{type:"string"}}};function L(o){let[r,...e]=o;if(r==="--version"||r==="-V")return{command:"version"};if(!r||r==="--help"||r==="-h"||r==="help")return{command:"help"};if(!(r in C))throw new l(`unknown command "${r}"`);try{let{values:t,positionals:a}=F({args:e,options:C[r],strict:!0,allowPositionals:!1});return{command:r,values:t,positionals:a}}catch(t){throw new l(`${r}: ${t.message}`)}}s(L,"parseCommandLine");async function O(o){let r=L(o);if(r.command==="help")return process.stdout.write(`${c}
`),0;if(r.command==="version")return process.stdout.write(`0.1.0
`),0;let{command:e,values:t}=r;if(t.help)return process.stdout.write(`${c}
`),0;let a=new i,f=P.resolve(String(t["working-directory"]??".")),g=t.config,d=s(n=>typeof t[n]=="string"?h(t[n]):void 0,"list");if(e==="plan"){let n=await b({workingDirectory:f,configPath:g,narrowing:{platforms:d("platforms"),python:d("python"),platformsLabel:"--platforms",pythonLabel:"--python"},event:w()},a);return process.stdout.write(t.json?`${v(n.cells)}
`:`${x(n.cells,y(),n.publish,n.config.linux)}
`),0}let{runCliCommand:$}=await import("./chunks/cli-cli-commands-FOHIYQDV.js");return $(e,t,{workingDirectory:f,configPath:g,reporter:a})}s(O,"main");O(process.argv.slice(2)).then(o=>{process.exitCode=o},o=>{let r=u(o);r.usage?process.stderr.write(`native-matrix: ${r.problems[0].message}

${c}
`):new i().failure(r),process.exitCode=r.exitCode});
