import { createRequire as __nativeMatrixRequire } from 'node:module'; const require = __nativeMatrixRequire(import.meta.url);
import{a,b,c,d,e}from"./chunk-DC5NLEGZ.js";import"./chunk-MCZX74LI.js";import"./chunk-RBBFUM6V.js";export{e as moveFile,c as tarDirectory,d as untarTo,b as unzipTo,a as zipDirectory};
