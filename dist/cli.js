#!/usr/bin/env node
import { createRequire as __nativeMatrixRequire } from 'node:module'; const require = __nativeMatrixRequire(import.meta.url);
import{a as s,e as c,f as u,g as p,h as y,k as h,l as w,n as v,r as b,s as x,v as C}from"./chunks/chunk-5TYZ62DL.js";import E from"node:path";import{parseArgs as O}from"node:util";var i=class{constructor(t=process.stderr){this.stream=t}stream;static{s(this,"TerminalReporter")}info(t){this.stream.write(`${t}
`)}warning(t){this.stream.write(`warning: ${c(t)}
`)}async group(t,e){let o=performance.now();this.stream.write(`==> ${t}
`);try{return await e()}finally{this.stream.write(`<== ${t} (${((performance.now()-o)/1e3).toFixed(1)} s)
`)}}error(t){this.stream.write(`error: ${c(t)}
`)}};var l=`Usage:
  native-matrix plan    [--config F] [--platforms L] [--python L] [--json]
  native-matrix build   [--config F] [--cell JSON | --platform ID] [--python L] [--out DIR]
  native-matrix publish [--config F] --from DIR [--tag T] [--repo OWNER/NAME] [--dry-run]
  native-matrix run     [--config F] [--out DIR]

Common options:
  --config F              config file (default: native-matrix.yml, else [tool.native-matrix] in pyproject.toml)
  --working-directory D   project root (default: the current directory)
  -h, --help              this text
  -V, --version           the version of native-matrix`,m={config:{type:"string"},"working-directory":{type:"string"},help:{type:"boolean",short:"h"}},$={plan:{...m,platforms:{type:"string"},python:{type:"string"},json:{type:"boolean"}},build:{...m,cell:{type:"string"},platform:{type:"string"},python:{type:"string"},out:{type:"string"}},publish:{...m,from:{type:"string"},tag:{type:"string"},repo:{type:"string"},"dry-run":{type:"boolean"}},run:{...m,out:{type:"string"}}};function R(r){let[t,...e]=r;if(t==="--version"||t==="-V")return{command:"version"};if(!t||t==="--help"||t==="-h"||t==="help")return{command:"help"};if(!(t in $))throw new p(`unknown command "${t}"`);try{let{values:o,positionals:a}=O({args:e,options:$[t],strict:!0,allowPositionals:!1});return{command:t,values:o,positionals:a}}catch(o){throw new p(`${t}: ${o.message}`)}}s(R,"parseCommandLine");async function S(r){let t=R(r);if(t.command==="help")return process.stdout.write(`${l}
`),0;if(t.command==="version")return process.stdout.write(`0.1.0
`),0;let{command:e,values:o}=t;if(o.help)return process.stdout.write(`${l}
`),0;let a=new i,f=E.resolve(String(o["working-directory"]??".")),g=o.config,d=s(n=>typeof o[n]=="string"?w(o[n]):void 0,"list");if(e==="plan"){let n=await x({workingDirectory:f,configPath:g,narrowing:{platforms:d("platforms"),python:d("python"),platformsLabel:"--platforms",pythonLabel:"--python"},event:v()},a);return process.stdout.write(o.json?`${b(n.cells)}
`:`${C(n.cells,h(),n.publish)}
`),0}let{runCliCommand:P}=await import("./chunks/cli-commands-LAFBZNCH.js");return P(e,o,{workingDirectory:f,configPath:g,reporter:a})}s(S,"main");S(process.argv.slice(2)).then(r=>{process.exitCode=r},r=>{let t=new i;r instanceof u?r.problems.forEach(e=>t.error(e)):r instanceof p?process.stderr.write(`native-matrix: ${r.message}

${l}
`):process.stderr.write(`native-matrix: internal error: ${r instanceof Error?r.stack??r.message:String(r)}
`),process.exitCode=y(r)});
