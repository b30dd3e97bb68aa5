/* sigcall: makes a hooked call, then waits to be signalled (t_record_cli.sh).
 * usage: sigcall LIBBTFAKE READYFILE [trap]
 * After the call it writes "PID MANIFEST INT=ign|dfl HUP=ign|dfl" to
 * READYFILE (complete: written beside it and renamed) and sleeps until a
 * signal ends it: by default the signal kills it; with trap, SIGTERM makes
 * it exit 7. */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_term(int sig) { got = sig; }

static const char *disp(int sig)
{
	struct sigaction sa;
	sigaction(sig, NULL, &sa);
	return sa.sa_handler == SIG_IGN ? "ign" : "dfl";
}

int main(int argc, char **argv)
{
	void (*f)(void *);
	char tmp[4096];
	const char *m = getenv("BUFTRACE_MANIFEST");
	FILE *r;
	if (argc < 3)
		return 2;
	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	if (argc > 3 && !strcmp(argv[3], "trap")) {
		signal(SIGTERM, on_term);
		sigprocmask(SIG_BLOCK, &term, &old); /* no wake-up lost before sigsuspend */
	} else {
		sigprocmask(SIG_BLOCK, NULL, &old);
	}
	if (!dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL)) {
		fprintf(stderr, "sigcall: %s\n", dlerror());
		return 2;
	}
	*(void **)&f = dlsym(RTLD_DEFAULT, "_ZN2tt8tt_metal6Buffer10deallocateEv");
	if (!f)
		return 2;
	f((void *)0x5ec);
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
	r = fopen(tmp, "w");
	if (!r)
		return 2;
	fprintf(r, "%d %s INT=%s HUP=%s\n", (int)getpid(), m && *m ? m : "-", disp(SIGINT), disp(SIGHUP));
	if (fclose(r) || rename(tmp, argv[2]))
		return 2;
	while (!got)
		sigsuspend(&old);
	return 7;
}
