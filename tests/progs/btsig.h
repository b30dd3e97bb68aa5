// btsig.h - what the signature libraries (libbtsig*.cpp) print: one line
// per call of a hooked form, with the values the form received, named as
// the hook's fields in common/hooks.def.  t_decode_signature.sh compares
// them with what the recorder decoded.  No standard C++ header here: the
// fake-libc++ libraries must not see libstdc++'s std::.
#pragma once
#include <stdio.h>

#define BTSIG(hook, fmt, ...) (printf("CALL %s " fmt "\n", hook, __VA_ARGS__), fflush(stdout))
// a form whose layout the recorder must report as unknown
#define BTSIG_UNKNOWN(hook) (printf("CALL %s unknown\n", hook), fflush(stdout))
// driven by tests/progs/sigdrive.c
extern "C" void btsig_run(void);
