/* pyconfig.h for building a stable-ABI (Py_LIMITED_API) extension for 64-bit Windows with
 * zig cc -target x86_64-windows-gnu (clang with mingw-w64 headers) on another system.
 *
 * Written for this project (wheels/build_durable_rules.py), not copied from CPython. The generic
 * CPython headers (Include/) are platform-neutral; only pyconfig.h describes the platform. The values
 * below are those of 64-bit Windows (LLP64: long is 4 bytes, pointers and size_t 8, wchar_t 2),
 * which the stable ABI fixes, and the DLL linkage every Windows CPython uses (the core is
 * python3X.dll, re-exported for the stable ABI by python3.dll; data such as _Py_NoneStruct must be
 * imported with __declspec(dllimport)).
 *
 * Python.h includes this file as "pyconfig.h" from its own directory, so the build script copies
 * the Include/ directory and puts this file there in place of the host's pyconfig.h.
 */
#ifndef Py_CONFIG_H
#define Py_CONFIG_H

#if !defined(_WIN64) || !defined(__x86_64__)
#error "pyconfig-win-amd64.h is for x86_64 Windows targets only"
#endif
#ifndef Py_LIMITED_API
#error "pyconfig-win-amd64.h is for stable-ABI builds only: define Py_LIMITED_API"
#endif

#include <io.h>
#include <stdio.h>
#include <stdint.h>

/* Platform */
#define MS_WIN32
#define MS_WIN64
#define MS_WINDOWS
#define NT_THREADS
#define WITH_THREAD
#define PLATFORM "win32"
#define COMPILER "[clang (zig cc), mingw-w64]"
#define PYD_PLATFORM_TAG "win_amd64"

/* The core is a DLL; functions and data are imported with __declspec(dllimport). */
#define Py_ENABLE_SHARED 1
#define MS_COREDLL
#define HAVE_DECLSPEC_DLL

/* Type sizes of 64-bit Windows (LLP64). */
#define LONG_BIT 32
#define WORD_BIT 32
#define SIZEOF_SHORT 2
#define SIZEOF_INT 4
#define SIZEOF_LONG 4
#define SIZEOF_LONG_LONG 8
#define SIZEOF_FLOAT 4
#define SIZEOF_DOUBLE 8
#define SIZEOF_VOID_P 8
#define SIZEOF_SIZE_T 8
#define SIZEOF_TIME_T 8
#define SIZEOF_OFF_T 4
#define SIZEOF_FPOS_T 8
#define SIZEOF_WCHAR_T 2
#define SIZEOF__BOOL 1
#define SIZEOF_HKEY 8

/* mingw-w64 declares ssize_t (64-bit here) in its CRT headers. */
#define HAVE_SSIZE_T 1
#define HAVE_UINTPTR_T 1
#define HAVE_INTPTR_T 1
#define PY_LONG_LONG long long
#define PY_LLONG_MIN LLONG_MIN
#define PY_LLONG_MAX LLONG_MAX
#define PY_ULLONG_MAX ULLONG_MAX

/* Needed by older (3.8/3.9) headers; harmless for newer ones. */
#define HAVE_STDARG_PROTOTYPES
#define HAVE_PROTOTYPES
#define STDC_HEADERS 1
#define WITH_DOC_STRINGS 1

#endif /* Py_CONFIG_H */
