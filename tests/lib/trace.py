"""Test helper: read `buftrace dump --json` output and map stack addresses
to function names with `nm`, independently of buftrace's own symbolizer."""
import bisect, json, subprocess, sys

def load(buftrace, path):
    out = subprocess.run([buftrace, "dump", "--json", path], capture_output=True, text=True)
    recs = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    return recs, out.returncode, out.stderr

class Symbols:
    def __init__(self, recs):
        self.mods = [r for r in recs if r["record"] == "MODULE_LOAD"]
        self.stacks = {r["stack_id"]: [int(x, 16) for x in r["ips"]] for r in recs if r["record"] == "STACK"}
        self.cache = {}

    def _syms(self, path):
        if path not in self.cache:
            try:
                out = subprocess.run(["nm", "-C", "--defined-only", path], capture_output=True, text=True).stdout
            except OSError:
                out = ""
            syms = []
            for line in out.splitlines():
                parts = line.split(" ", 2)
                if len(parts) == 3 and parts[1] in "tTwW":
                    syms.append((int(parts[0], 16), parts[2]))
            syms.sort()
            self.cache[path] = syms
        return self.cache[path]

    def function(self, ip):
        for m in self.mods:
            if int(m["lo"], 16) <= ip < int(m["hi"], 16):
                syms = self._syms(m["path"])
                off = ip - 1 - int(m["bias"], 16)
                i = bisect.bisect_right([s[0] for s in syms], off) - 1
                return syms[i][1] if i >= 0 else "?"
        return "?"

    def frames(self, stack_id):
        return [self.function(ip) for ip in self.stacks.get(stack_id, [])]
