"""Many traces from a few: copy recorded traces into a directory under
distinct names, and run a buftrace command on it measuring the wall time
and the peak resident memory of that command alone.

  many_traces.py copy DIR N TRACE...      N copies, taken in turn from TRACE...;
                                          DIR.manifest lists each copy's source
  many_traces.py run LIMIT_MB OUT CMD...  run CMD (stdout to OUT), address
                                          space limited to LIMIT_MB (0: none);
                                          prints "exit wall_s maxrss_mb"
"""
import os, resource, shutil, subprocess, sys, time

def copy(d, n, traces):
    os.makedirs(d, exist_ok=True)
    with open(d.rstrip("/") + ".manifest", "w") as man:
        for i in range(n):
            # the report lists a directory's traces by name: distinct names
            shutil.copyfile(traces[i % len(traces)], os.path.join(d, f"buftrace.copy.{100000 + i}.zst"))
            man.write(traces[i % len(traces)] + "\n")

def run(limit_mb, out, cmd):
    def limit():
        if limit_mb:  # a regressed build fails here instead of taking the machine
            resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))
    t = time.monotonic()
    with open(out, "wb") as f:
        p = subprocess.run(cmd, stdout=f, preexec_fn=limit)
    wall = time.monotonic() - t
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(p.returncode, f"{wall:.2f}", f"{rss:.1f}")

if __name__ == "__main__":
    if sys.argv[1] == "copy":
        copy(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    else:
        run(int(sys.argv[2]), sys.argv[3], sys.argv[4:])
