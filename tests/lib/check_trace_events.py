#!/usr/bin/env python3
"""check_trace_events.py FILE: does FILE follow the Chrome trace-event
format's rules (what ui.perfetto.dev and chrome://tracing load)?

JSON object with a traceEvents array; every event has a string name, a
known ph, integer pid and tid and a numeric ts (microseconds, >= 0); X
events a numeric dur >= 0; B/E events nest per thread with matching
names; C events numeric args; instant events a scope of g, p or t;
M events a known metadata name with args.name.  Prints one line per
problem (at most 20) and exits 1, else prints a summary and exits 0."""
import json
import numbers
import sys

PHASES = set("BEXiICbnesftPONDMVvRc")


def check(doc):
    errs = []
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        return ["top level: not an object with a traceEvents array"], {}
    stacks = {}
    counts = {}
    for n, e in enumerate(doc["traceEvents"]):
        where = "event %d" % n
        if not isinstance(e, dict):
            errs.append(where + ": not an object")
            continue
        ph = e.get("ph")
        counts[ph] = counts.get(ph, 0) + 1
        if ph not in PHASES:
            errs.append(where + ": unknown ph %r" % (ph,))
        if not isinstance(e.get("name"), str) or not e["name"]:
            errs.append(where + ": name missing")
        for k in ("pid", "tid"):
            if not isinstance(e.get(k), int) or isinstance(e.get(k), bool):
                errs.append(where + ": %s missing or not an integer" % k)
        ts = e.get("ts")
        if not isinstance(ts, numbers.Real) or isinstance(ts, bool) or ts < 0:
            errs.append(where + ": ts missing, not a number or negative")
        if ph == "X":
            d = e.get("dur")
            if not isinstance(d, numbers.Real) or d < 0:
                errs.append(where + ": X without a dur >= 0")
        elif ph in ("B", "E"):
            st = stacks.setdefault((e.get("pid"), e.get("tid")), [])
            if ph == "B":
                st.append((e.get("name"), ts))
            elif not st:
                errs.append(where + ": E without a B on its thread")
            else:
                name, bts = st.pop()
                if e.get("name") not in (None, name):
                    errs.append(where + ": E %r closes B %r" % (e.get("name"), name))
                if isinstance(ts, numbers.Real) and ts < bts:
                    errs.append(where + ": E before its B")
        elif ph == "C":
            a = e.get("args")
            if not isinstance(a, dict) or not a or not all(
                    isinstance(v, numbers.Real) and not isinstance(v, bool) for v in a.values()):
                errs.append(where + ": counter args missing or not numeric")
        elif ph in ("i", "I"):
            if e.get("s", "t") not in ("g", "p", "t"):
                errs.append(where + ": instant scope %r" % e.get("s"))
        elif ph == "M":
            if e.get("name") not in ("process_name", "thread_name", "process_sort_index",
                                     "thread_sort_index", "process_labels"):
                errs.append(where + ": unknown metadata %r" % e.get("name"))
            if not isinstance(e.get("args"), dict):
                errs.append(where + ": metadata without args")
    for (pid, tid), st in stacks.items():
        if st:
            errs.append("pid %s tid %s: %d B without E" % (pid, tid, len(st)))
    return errs, counts


def main():
    with open(sys.argv[1]) as f:
        try:
            doc = json.load(f, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except ValueError as e:
            print("%s: not JSON: %s" % (sys.argv[1], e))
            return 1
    errs, counts = check(doc)
    for e in errs[:20]:
        print("%s: %s" % (sys.argv[1], e))
    if errs:
        return 1
    print("trace events OK: " + ", ".join("%s=%d" % (k, v) for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
