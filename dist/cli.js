#!/usr/bin/env node
import { createRequire as __nativeMatrixRequire } from 'node:module'; const require = __nativeMatrixRequire(import.meta.url);
import{a as l,b as y,d as p,e as u,h,j as w,l as v,q as b,r as x,u as C}from"./chunks/chunk-JF4NFMTE.js";import{a as s}from"./chunks/chunk-RBBFUM6V.js";import E from"node:path";import{parseArgs as L}from"node:util";var i=class{constructor(t=process.stderr){this.stream=t}stream;static{s(this,"TerminalReporter")}info(t){this.stream.write(`${t}
`)}warning(t){this.stream.write(`warning: ${l(t)}
`)}async group(t,n){let o=performance.now();this.stream.write(`==> ${t}
`);try{return await n()}finally{this.stream.write(`<== ${t} (${((performance.now()-o)/1e3).toFixed(1)} s)
`)}}error(t){this.stream.write(`error: ${l(t)}
`)}};var c=`Usage:
  native-matrix plan    [--config F] [--platforms L] [--python L] [--json]
  native-matrix build   [--config F] [--cell JSON | --platform ID] [--python L] [--out DIR]
  native-matrix publish [--config F] --from DIR [--tag T] [--repo OWNER/NAME] [--dry-run]
                        [--platforms L] [--python L]   (the plan's narrowing, if any)
  native-matrix run     [--config F] [--out DIR]

Common options:
  --config F              config file (default: native-matrix.yml, else [tool.native-matrix] in pyproject.toml)
  --working-directory D   project root (default: the current directory)
  -h, --help              this text
  -V, --version           the version of native-matrix`,m={config:{type:"string"},"working-directory":{type:"string"},help:{type:"boolean",short:"h"}},$={plan:{...m,platforms:{type:"string"},python:{type:"string"},json:{type:"boolean"}},build:{...m,cell:{type:"string"},platform:{type:"string"},python:{type:"string"},out:{type:"string"}},publish:{...m,from:{type:"string"},platforms:{type:"string"},python:{type:"string"},tag:{type:"string"},repo:{type:"string"},"dry-run":{type:"boolean"}},run:{...m,out:{type:"string"}}};function O(r){let[t,...n]=r;if(t==="--version"||t==="-V")return{command:"version"};if(!t||t==="--help"||t==="-h"||t==="help")return{command:"help"};if(!(t in $))throw new p(`unknown command "${t}"`);try{let{values:o,positionals:a}=L({args:n,options:$[t],strict:!0,allowPositionals:!1});return{command:t,values:o,positionals:a}}catch(o){throw new p(`${t}: ${o.message}`)}}s(O,"parseCommandLine");async function R(r){let t=O(r);if(t.command==="help")return process.stdout.write(`${c}
`),0;if(t.command==="version")return process.stdout.write(`0.1.0
`),0;let{command:n,values:o}=t;if(o.help)return process.stdout.write(`${c}
`),0;let a=new i,f=E.resolve(String(o["working-directory"]??".")),g=o.config,d=s(e=>typeof o[e]=="string"?w(o[e]):void 0,"list");if(n==="plan"){let e=await x({workingDirectory:f,configPath:g,narrowing:{platforms:d("platforms"),python:d("python"),platformsLabel:"--platforms",pythonLabel:"--python"},event:v()},a);return process.stdout.write(o.json?`${b(e.cells)}
`:`${C(e.cells,h(),e.publish,e.config.linux)}
`),0}let{runCliCommand:P}=await import("./chunks/cli-commands-AQ4FSJQA.js");return P(n,o,{workingDirectory:f,configPath:g,reporter:a})}s(R,"main");R(process.argv.slice(2)).then(r=>{process.exitCode=r},r=>{let t=new i;r instanceof y?r.problems.forEach(n=>t.error(n)):r instanceof p?process.stderr.write(`native-matrix: ${r.message}

${c}
`):process.stderr.write(`native-matrix: internal error: ${r instanceof Error?r.stack??r.message:String(r)}
`),process.exitCode=u(r)});
