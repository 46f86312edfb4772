import { createRequire as __nativeMatrixRequire } from 'node:module'; const require = __nativeMatrixRequire(import.meta.url);
import{a as r,g as o}from"./chunk-FAD4I6HS.js";async function m(t,e,i){throw new o({key:"input command",message:`${t.command} is not available in this version of native-matrix`,fix:"use plan"})}r(m,"runActionCommand");export{m as runActionCommand};
