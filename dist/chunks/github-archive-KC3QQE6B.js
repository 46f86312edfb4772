import { createRequire as __nativeMatrixRequire } from 'node:module'; const require = __nativeMatrixRequire(import.meta.url);
import{a,b}from"./github-chunk-WG7JKLSN.js";import"./github-chunk-KW7UHBPI.js";import"./github-chunk-XN6WWR3X.js";export{b as unzipTo,a as zipDirectory};
