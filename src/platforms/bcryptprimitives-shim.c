/*
 * A stand-in for bcryptprimitives.dll in wine prefixes only. Wine 8 lacks the
 * DLL, from which Go's runtime and Rust's standard library (1.78+) import
 * ProcessPrng, so no program or extension built with them loads under wine.
 * Every Windows 10 and later has the real DLL: this one is never bundled into
 * anything built. It fills the buffer with RtlGenRandom (advapi32's
 * SystemFunction036), as ProcessPrng does with the system's generator.
 */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
BOOL WINAPI DllMainCRTStartup(HINSTANCE instance, DWORD reason, LPVOID reserved) {
  (void)instance; (void)reason; (void)reserved;
  return TRUE;
}
