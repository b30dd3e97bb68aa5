/* buftrace.h - the subcommands of the `buftrace` command, one file each. */
#ifndef BT_BUFTRACE_H
#define BT_BUFTRACE_H

/* Exit statuses shared by every subcommand. */
enum { EXIT_OK = 0, EXIT_BAD_INPUT = 1, EXIT_USAGE = 2, EXIT_SURVIVORS = 3 };

int cmd_record(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_hooks(int argc, char **argv);

/* Directory holding libbuftrace.so, found relative to the executable. */
const char *bt_libdir(void);
extern const char *bt_prog;

#endif
