import { createRequire as __nativeMatrixRequire } from 'node:module'; const require = __nativeMatrixRequire(import.meta.url);
import{a as r,g as e}from"./chunk-FAD4I6HS.js";async function a(o,n,t){throw new e({key:o,message:"is not available in this version of native-matrix",fix:"use plan"})}r(a,"runCliCommand");export{a as runCliCommand};
