import { createRequire as __nativeMatrixRequire } from 'node:module'; const require = __nativeMatrixRequire(import.meta.url);
import{a,b}from"./chunk-ZZNZ5JP2.js";import"./chunk-MCZX74LI.js";import"./chunk-RBBFUM6V.js";export{b as unzipTo,a as zipDirectory};
