import { createRequire as __nativeMatrixRequire } from 'node:module'; const require = __nativeMatrixRequire(import.meta.url);
import{a,b,c,d,e}from"./github-chunk-FX5QBDDE.js";import"./github-chunk-KW7UHBPI.js";import"./github-chunk-XN6WWR3X.js";export{e as moveFile,c as tarDirectory,d as untarTo,b as unzipTo,a as zipDirectory};
