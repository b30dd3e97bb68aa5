/* session.c - the life of a recording in one process.
 *
 * Nothing happens at load time but reading the environment: the trace
 * file, the flusher thread and the signal handlers appear at the first
 * hooked event (bt_start), so a compiler spawned by the runtime's JIT, or
 * `sh`, writes no file and pays nothing.  The end of the process is
 * caught at every door: the library destructor (after all static
 * destructors, which may still free buffers), _exit/_Exit, the exec
 * family (the new image writes its own file), and fatal signals. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <dlfcn.h>
#include "dynlib.h"
#include "recorder.h"

_Atomic int bt_state = BT_IDLE;
struct bt_seq_line bt_seq_line;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static int trace_fd = -1;
static pid_t started_pid; /* a vfork child shares our memory: hands off */
static char trace_path[PATH_MAX];
static atomic_int said_give_up;

/* stderr via write(2): stdio may be locked by the interrupted program. */
void bt_log(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	if (write(2, buf, (size_t)n) < 0)
		return;
}

/* Stop recording; 1 for the one caller that is to say why. */
static int stop(void)
{
	atomic_store(&bt_state, BT_DEAD);
	return atomic_exchange(&said_give_up, 1) == 0;
}

void bt_give_up(const char *what, int err)
{
	if (stop())
		bt_log("buftrace: %s %s: %s; tracing stopped, the program goes on", what,
		       trace_path[0] ? trace_path : bt_cfg.outdir, strerror(err));
}

/* Read before the trace file is made: a program at its RLIMIT_NOFILE has
 * a descriptor for one of the two at most (the trace's). */
static char cmdline[4096];
static size_t cmdline_len;

static void read_cmdline(void)
{
	ssize_t n = 0;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, cmdline, sizeof cmdline);
		close(fd);
	}
	cmdline_len = n > 0 ? (size_t)n : 0;
}

static void write_header(void)
{
	static uint8_t buf[16384];
	struct bt_rec r;
	static char exe[PATH_MAX]; /* under start_lock, as the rest of bt_start's buffers */
	char host[256];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	exe[n > 0 ? n : 0] = 0;
	if (gethostname(host, sizeof host) != 0)
		host[0] = 0;
	host[sizeof host - 1] = 0;
	uint64_t realtime = bt_realtime_ns();
	bt_rec_begin(&r, buf, sizeof buf);
	bt_rec_uvar(&r, (uint64_t)getpid());
	bt_rec_uvar(&r, (uint64_t)getppid());
	bt_rec_uvar(&r, realtime);
	bt_rec_uvar(&r, bt_now_ns());
	bt_rec_bytes(&r, "CLOCK_MONOTONIC", 15);
	bt_rec_bytes(&r, exe, strlen(exe));
	bt_rec_bytes(&r, cmdline, cmdline_len);
	bt_rec_bytes(&r, host, strlen(host));
	bt_rec_bytes(&r, BUFTRACE_VERSION, strlen(BUFTRACE_VERSION));
	bt_rec_uvar(&r, (uint64_t)bt_cfg.depth);
	bt_rec_uvar(&r, (uint64_t)bt_cfg.flush_ms);
	bt_write_record(BT_REC_HEADER, &r);

	for (int h = 0; h < BT_HOOK_COUNT; h++) {
		bt_rec_begin(&r, buf, sizeof buf);
		bt_rec_uvar(&r, (uint64_t)h);
		bt_rec_uvar(&r, bt_hooks[h].flags);
		bt_rec_bytes(&r, bt_hooks[h].name, strlen(bt_hooks[h].name));
		bt_rec_bytes(&r, bt_hooks[h].fields, strlen(bt_hooks[h].fields));
		bt_write_record(BT_REC_HOOK_INFO, &r);
	}
}

/* Tell record where the trace is: one line appended to its manifest.  0,
 * or the errno of the open that failed. */
static int manifest_add(void)
{
	/* no O_CREAT: record made it; O_NONBLOCK: a FIFO planted there
	 * after record is gone must not hang us */
	int mf = open(bt_cfg.manifest, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	static char line[PATH_MAX + 2]; /* under start_lock */
	int n;
	if (mf < 0)
		return errno;
	n = snprintf(line, sizeof line, "%s\n", trace_path);
	if (write(mf, line, (size_t)n) < 0)
		n = 0;
	close(mf);
	return 0;
}

/* O_EXCL|O_NOFOLLOW: never overwrite a file, never follow a planted link. */
static int create_trace_file(void)
{
	/* under start_lock: the first hooked call may be a small thread's */
	static char base[PATH_MAX - 16], foreign[PATH_MAX];
	int fd = -1;

	foreign[0] = 0;
	if (snprintf(base, sizeof base, "%.*s/buftrace.%.64s.%d", (int)(sizeof base - 100),
		     bt_cfg.outdir, bt_program_name(), (int)getpid()) < 0)
		return -1;
	for (int i = 0; i < 10; i++) {
		if (i == 0)
			snprintf(trace_path, sizeof trace_path, "%s.zst", base);
		else
			snprintf(trace_path, sizeof trace_path, "%s.%d.zst", base, i);
		fd = open(trace_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
		/* exec of the same program keeps the pid: a suffix tells them
		 * apart.  Anything but our own earlier file is worth a word. */
		struct stat st;
		if (i == 0 && (lstat(trace_path, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid()))
			snprintf(foreign, sizeof foreign, "%s", trace_path);
	}
	/* The word about a planted file is said only when we go on beside
	 * it: if we give up, the give-up line is the one line on stderr. */
	if (fd >= 0 && foreign[0])
		bt_log("buftrace: %s already exists and is not ours; not touching it", foreign);
	if (fd < 0) {
		int err = errno;
		trace_path[0] = 0;
		bt_give_up("cannot create a trace file in", err);
		return -1;
	}
	if (bt_cfg.manifest[0] && manifest_add() == EMFILE) {
		/* The trace took the program's last descriptor: record would
		 * say no trace was written.  Let it go for the manifest's line
		 * and take the same file back. */
		struct stat a, b;
		if (fstat(fd, &a) == 0) {
			close(fd);
			manifest_add();
			fd = open(trace_path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0 && (fstat(fd, &b) != 0 || b.st_dev != a.st_dev || b.st_ino != a.st_ino)) {
				close(fd); /* ours: just opened; the path names another file now */
				fd = -1;
				errno = ENOENT;
			}
			if (fd < 0)
				bt_give_up("cannot reopen", errno);
		}
	}
	return fd;
}

static void *next_fn(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void on_exit_fatal_signal(int sig, siginfo_t *si, void *uc);
/* Faults and abort: handled whatever the program had, chaining to its own
 * action.  The other signals whose default action ends the process: only
 * where the program left the default (its own handler, or SIG_IGN, says
 * what the signal means to it), and a program's later sigaction simply
 * replaces ours.  Real-time signals are added at run time. */
static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE };
static const int deadly_signals[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGPIPE, SIGTRAP, SIGXCPU, SIGXFSZ,
				      SIGALRM, SIGUSR1, SIGUSR2, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS,
				      SIGSTKFLT };
static struct sigaction old_actions[_NSIG];
static int handlers_installed; /* inherited by a fork child, like the handlers */

static void install_one(int sig, int always)
{
	struct sigaction sa;
	if (!always && (sigaction(sig, NULL, &sa) != 0 || (sa.sa_flags & SA_SIGINFO) || sa.sa_handler != SIG_DFL))
		return;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_exit_fatal_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	/* no second deadly signal in the middle of the flush */
	sigfillset(&sa.sa_mask);
	sigaction(sig, &sa, &old_actions[sig]);
}

static void install_signal_handlers(void)
{
	if (handlers_installed)
		return; /* a fork child's are its parent's */
	handlers_installed = 1;
	for (size_t i = 0; i < sizeof fault_signals / sizeof fault_signals[0]; i++)
		install_one(fault_signals[i], 1);
	for (size_t i = 0; i < sizeof deadly_signals / sizeof deadly_signals[0]; i++)
		install_one(deadly_signals[i], 0);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		install_one(sig, 0);
}

/* libc's kill, raise and killpg, found at load time (dlsym is no call
 * for a signal handler, where kill often is); before that, the system
 * call each of them makes. */
static int (*real_kill)(pid_t, int), (*real_raise)(int), (*real_killpg)(pid_t, int);
static int (*real_pthread_kill)(pthread_t, int), (*real_sigqueue)(pid_t, int, const union sigval);
static int (*real_tgkill)(pid_t, pid_t, int);

static int send_raise(int sig)
{
	if (real_raise)
		return real_raise(sig);
	return (int)syscall(SYS_tgkill, getpid(), gettid(), sig);
}

/* Flush what we have, put the program's own disposition back, and let the
 * signal take its course: a fault re-executes and meets the old action
 * with its real siginfo; anything else (abort, kill, int3 and the
 * kernel's SIGXCPU, which do not come back) is raised again, by libc's
 * raise (ours would flush again). */
static void on_exit_fatal_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	int fault = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE;
	(void)uc;
	if (atomic_load(&bt_state) == BT_ON && getpid() == started_pid)
		bt_writer_emergency();
	sigaction(sig, &old_actions[sig], NULL);
	if (!fault || si->si_code <= 0)
		send_raise(sig);
	errno = saved;
}

/* Will sig, sent now, end the process by its default action?  (Our own
 * handler, where there is one, flushes by itself.) */
static int ends_process(int sig)
{
	struct sigaction sa;
	if (sig <= 0 || sig >= _NSIG || sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH ||
	    sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
		return 0;
	return sigaction(sig, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL;
}

/* The program sends itself a signal that will end it, with no handler of
 * ours to see it: it set the default back itself.  Python does so after a
 * KeyboardInterrupt (SIG_DFL, then kill(getpid(), SIGINT), so that its
 * parent sees the signal), and so does a C handler that cleans up and
 * re-raises.  Flush first, as the handler would have; the signal then
 * goes as the program sent it. */
static void before_self_signal(int sig)
{
	int saved = errno;
	if (atomic_load(&bt_state) == BT_ON && getpid() == started_pid && ends_process(sig))
		bt_writer_emergency();
	errno = saved;
}

BT_EXPORT int kill(pid_t pid, int sig)
{
	/* to this process, or to a group it is in (kill(-1) spares the caller) */
	if (atomic_load(&bt_state) == BT_ON && (pid == 0 || pid == getpid() || (pid < -1 && -pid == getpgrp())))
		before_self_signal(sig);
	if (real_kill)
		return real_kill(pid, sig);
	return (int)syscall(SYS_kill, pid, sig);
}

BT_EXPORT int raise(int sig)
{
	before_self_signal(sig);
	return send_raise(sig);
}

BT_EXPORT int killpg(pid_t pgrp, int sig)
{
	if (atomic_load(&bt_state) == BT_ON && (pgrp == 0 || pgrp == getpgrp()))
		before_self_signal(sig);
	if (real_killpg)
		return real_killpg(pgrp, sig);
	if (pgrp < 0) {
		errno = EINVAL;
		return -1;
	}
	return (int)syscall(SYS_kill, -pgrp, sig);
}

/* A thread of this process, always (Python's signal.pthread_kill). */
BT_EXPORT int pthread_kill(pthread_t thread, int sig)
{
	if (atomic_load(&bt_state) == BT_ON)
		before_self_signal(sig);
	if (real_pthread_kill)
		return real_pthread_kill(thread, sig);
	return ESRCH; /* (before our constructor: no thread to signal but the caller's) */
}

BT_EXPORT int sigqueue(pid_t pid, int sig, const union sigval value)
{
	if (atomic_load(&bt_state) == BT_ON && pid == getpid())
		before_self_signal(sig);
	if (real_sigqueue)
		return real_sigqueue(pid, sig, value);
	errno = ENOSYS;
	return -1;
}

/* glibc 2.30's wrapper; a raw syscall(SYS_tgkill) is not seen */
BT_EXPORT int tgkill(pid_t tgid, pid_t tid, int sig)
{
	if (atomic_load(&bt_state) == BT_ON && tgid == getpid())
		before_self_signal(sig);
	if (real_tgkill)
		return real_tgkill(tgid, tid, sig);
	return (int)syscall(SYS_tgkill, tgid, tid, sig);
}

/* The program's libraries' constructors run before ours: a hooked call
 * there started with an empty configuration and wrote its trace to "/"
 * (t_rel_reenter).  Whoever comes first reads the environment. */
static atomic_int config_loaded;
static void load_config(void)
{
	if (!atomic_exchange(&config_loaded, 1))
		bt_config_load();
}

int bt_start(void)
{
	int st = atomic_load(&bt_state);
	if (st != BT_IDLE)
		return st == BT_ON ? 0 : -1;
	load_config();
	if (bt_cfg.disabled)
		return -1;
	pthread_mutex_lock(&start_lock);
	if (atomic_load(&bt_state) == BT_IDLE) {
		int fd = -1;
		const char *why, *warn = NULL;
		read_cmdline();
		if (bt_dynlibs_load(&why, &warn) != 0) {
			if (stop())
				bt_log("buftrace: %s; tracing stopped, the program goes on", why);
		} else {
			fd = create_trace_file();
		}
		if (fd >= 0 && (fd = bt_tracefd_adopt(fd, trace_path)) < 0)
			bt_give_up("cannot use", errno);
		if (fd >= 0 && bt_writer_open(fd) == 0) {
			if (warn)
				bt_log("buftrace: %s", warn);
			trace_fd = fd;
			started_pid = getpid();
			write_header();
			bt_modules_scan();
			bt_resolve_report();
			install_signal_handlers();
			bt_clock_init();
			bt_threads_init();
			if (bt_cfg.debug)
				bt_log("buftrace: pid %d tracing to %s", (int)getpid(), trace_path);
			/* ON before the flusher starts: it runs while the state is ON,
			 * and a flusher scheduled at once would otherwise see IDLE and
			 * quit, leaving producers to compress 256 chunks at a time. */
			atomic_store(&bt_state, BT_ON);
			bt_flusher_start();
			bt_config_say();
		} else if (fd >= 0) {
			bt_tracefd_release();
			bt_give_up("cannot start compression for", ENOMEM);
		}
	}
	pthread_mutex_unlock(&start_lock);
	return atomic_load(&bt_state) == BT_ON ? 0 : -1;
}

static void write_stats_and_end(void)
{
	static uint64_t counts[BT_HOOK_COUNT];
	static uint8_t buf[BT_HOOK_COUNT * 24 + 64];
	struct bt_rec r;
	uint64_t total = 0, n = 0;

	bt_threads_sum_counts(counts);
	for (int h = 0; h < BT_HOOK_COUNT; h++)
		n += counts[h] != 0;
	bt_rec_begin(&r, buf, sizeof buf);
	bt_rec_uvar(&r, n);
	for (int h = 0; h < BT_HOOK_COUNT; h++)
		if (counts[h]) {
			bt_rec_uvar(&r, (uint64_t)h);
			bt_rec_uvar(&r, counts[h]);
			total += counts[h];
		}
	bt_write_record(BT_REC_HOOK_STATS, &r);
	bt_rec_begin(&r, buf, sizeof buf);
	bt_rec_uvar(&r, total);
	bt_rec_uvar(&r, atomic_load(&bt_seq));
	bt_write_record(BT_REC_END, &r);
}

/* The final flush.  Events that arrive later (other threads still
 * running during exit) are counted in the stats but not written. */
/* The final flush may take a while (compression) on a loaded machine,
 * and a process on its way out is often sent a deadly signal meanwhile
 * (multiprocessing's Pool.terminate() sends SIGTERM to workers that are
 * already exiting): its handler, finding this thread inside the writer,
 * could not flush and the process died with its trace empty or cut
 * (t_rel_fatal's pool, one run in three on a busy machine).  So the
 * asynchronous signals wait until the flush is done; faults still come
 * at once.  *old receives the mask to restore. */
static void block_signals(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	for (size_t i = 0; i < sizeof fault_signals / sizeof fault_signals[0]; i++)
		sigdelset(&all, fault_signals[i]);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

void bt_finish(int clean)
{
	if (atomic_load(&bt_state) != BT_ON || getpid() != started_pid)
		return;
	bt_thread_busy(1); /* a signal handler's hooked call must not wait for us */
	pthread_mutex_lock(&start_lock);
	if (atomic_load(&bt_state) == BT_ON) {
		bt_writer_flush(0);
		if (clean)
			write_stats_and_end();
		bt_writer_flush(1);
		atomic_store(&bt_state, BT_DEAD);
		if (bt_cfg.debug)
			bt_stacks_say();
	}
	pthread_mutex_unlock(&start_lock);
	bt_thread_busy(-1);
}

/* --- process boundaries ------------------------------------------------ */

static void fork_prepare(void)
{
	pthread_mutex_lock(&start_lock);
	bt_threads_fork_prepare();
}

static void fork_parent(void)
{
	bt_threads_fork_done();
	pthread_mutex_unlock(&start_lock);
}

/* The child has one thread: whatever locks other threads held are reset,
 * their buffered events belong to the parent's file.  Until the end of
 * this handler the thread records nothing (thread.c, fork): what it frees
 * here goes straight to libc.  The child starts a file of its own at its
 * first hooked event. */
static void fork_child(void)
{
	pthread_mutex_init(&start_lock, NULL);
	if (trace_fd >= 0)
		bt_tracefd_release(); /* its number may be the program's file now */
	trace_fd = -1;
	trace_path[0] = 0;
	bt_writer_reset_after_fork();
	bt_threads_reset_after_fork();
	bt_stacks_reset();
	bt_modules_reset();
	bt_resolve_reset();
	bt_pystack_reset();
	bt_blocks_reset();
	atomic_store(&bt_seq, 0); /* the child's file numbers its own events */
	atomic_store(&said_give_up, 0);
	if (atomic_load(&bt_state) != BT_IDLE && !bt_cfg.disabled)
		atomic_store(&bt_state, BT_IDLE);
	bt_threads_fork_done();
}

/* What makes an object a recorder, for another copy of it in the same
 * process (resolve.c): a second libbuftrace.so from another path, one in
 * the user's LD_PRELOAD beside record's, or the malloc probes' library. */
BT_EXPORT const char buftrace_recorder[] = BUFTRACE_VERSION;

/* Is another recorder before this copy in the loader's order?  Then the
 * program's calls reach that one, and this one stays off. */
static int another_recorder_first(void)
{
	Dl_info first, us;
	void *m = dlsym(RTLD_DEFAULT, "buftrace_recorder");
	return m && dladdr(m, &first) && dladdr((void *)another_recorder_first, &us) &&
	       first.dli_fbase != us.dli_fbase;
}

__attribute__((constructor)) static void bt_init(void)
{
	load_config();
	if (another_recorder_first()) {
		bt_cfg.disabled = 1;
		if (bt_cfg.debug)
			bt_log("buftrace: another recorder is loaded first: this copy stays off");
	}
	bt_program_name(); /* before main can rewrite argv (setproctitle) */
	real_kill = (int (*)(pid_t, int))next_fn("kill");
	real_raise = (int (*)(int))next_fn("raise");
	real_killpg = (int (*)(pid_t, int))next_fn("killpg");
	real_pthread_kill = (int (*)(pthread_t, int))next_fn("pthread_kill");
	real_sigqueue = (int (*)(pid_t, int, const union sigval))next_fn("sigqueue");
	real_tgkill = (int (*)(pid_t, pid_t, int))next_fn("tgkill");
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	/* A runtime linked at start: match and patch its names before the
	 * program calls any of them (cheap elsewhere: a prefix test per
	 * exported symbol, nothing written). */
	if (!bt_cfg.disabled) {
		bt_modules_scan();
		bt_resolve_report();
	}
}

/* ELF destructors run after exit handlers and static destructors, which
 * is when the last buffers of a runtime die. */
__attribute__((destructor)) static void bt_fini(void)
{
	sigset_t old;
	block_signals(&old);
	bt_finish(1);
	/* a signal that came meanwhile is delivered now, as it would have
	 * been at this point of the exit without us */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

BT_EXPORT void _exit(int status)
{
	typedef void (*exit_fn)(int) __attribute__((noreturn));
	static exit_fn real;
	sigset_t old;
	/* _exit ends the process at once: a signal that came while we
	 * flushed would, without us, have found it gone (left blocked) */
	block_signals(&old);
	bt_finish(1);
	if (!real)
		real = (exit_fn)next_fn("_exit");
	real(status);
}

BT_EXPORT void _Exit(int status)
{
	_exit(status);
}

/* exec replaces the image: flush and end this file; if exec fails we go on
 * appending frames to it (a zstd file may hold many frames). */
static void before_exec(void)
{
	if (atomic_load(&bt_state) == BT_ON && getpid() == started_pid) {
		bt_thread_busy(1);
		pthread_mutex_lock(&start_lock);
		bt_writer_flush(0);
		write_stats_and_end();
		bt_writer_flush(1);
		pthread_mutex_unlock(&start_lock);
		bt_thread_busy(-1);
	}
}

#define EXEC_WRAPPER(name, proto, call, ...)                                \
	BT_EXPORT int name proto                                            \
	{                                                                   \
		static int (*real)(__VA_ARGS__);                            \
		before_exec();                                              \
		if (!real)                                                  \
			real = (int (*)(__VA_ARGS__))next_fn(#name);        \
		return real call;                                           \
	}

EXEC_WRAPPER(execve, (const char *p, char *const a[], char *const e[]), (p, a, e),
	     const char *, char *const *, char *const *)
EXEC_WRAPPER(execv, (const char *p, char *const a[]), (p, a), const char *, char *const *)
EXEC_WRAPPER(execvp, (const char *p, char *const a[]), (p, a), const char *, char *const *)
EXEC_WRAPPER(execvpe, (const char *p, char *const a[], char *const e[]), (p, a, e),
	     const char *, char *const *, char *const *)
EXEC_WRAPPER(fexecve, (int fd, char *const a[], char *const e[]), (fd, a, e),
	     int, char *const *, char *const *)

/* The execl family is variadic: collect the arguments and use execve.
 * Every argument, however many: counted first, then into an array on the
 * stack, as glibc does (no malloc: a vfork child or a signal handler may
 * call exec).  execle's environment is the pointer after the NULL. */
extern char **environ;
static int execl_common(const char *path, const char *arg0, va_list ap, int kind)
{
	va_list count;
	size_t n = 1;
	char **envp = environ;
	va_copy(count, ap);
	while (arg0 && va_arg(count, char *) != NULL)
		if (++n > INT_MAX) {
			va_end(count);
			errno = E2BIG;
			return -1;
		}
	va_end(count);
	char *argv[n + 1];
	argv[0] = (char *)arg0;
	for (size_t i = 1; i < n; i++)
		argv[i] = va_arg(ap, char *);
	if (arg0)
		(void)va_arg(ap, char *); /* the NULL */
	argv[n] = NULL;
	if (kind == 'e')
		envp = va_arg(ap, char **);
	if (kind == 'p')
		return execvp(path, argv);
	return execve(path, argv, envp);
}

BT_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	int r;
	va_start(ap, arg);
	r = execl_common(path, arg, ap, 0);
	va_end(ap);
	return r;
}

BT_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	int r;
	va_start(ap, arg);
	r = execl_common(file, arg, ap, 'p');
	va_end(ap);
	return r;
}

BT_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	int r;
	va_start(ap, arg);
	r = execl_common(path, arg, ap, 'e');
	va_end(ap);
	return r;
}
