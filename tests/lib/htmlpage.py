"""What a buftrace html page holds, for the tests that read it."""
import json, re


def data(path):
    """The page's data (the JSON in its bt-data script element), or None."""
    m = re.search(r'<script type="application/json" id="bt-data">\n(.*?)\n</script>', open(path).read(), re.S)
    return json.loads(m.group(1)) if m else None


def at_close(p, d, kind="L1"):
    """Device d's bytes of kind at the end of its close's bucket, as the
    page reads its timeline (process p)."""
    i = d["closed_ns"] // p["bucket_ns"]
    val = 0
    for pt in d["tracks"][kind]:
        if pt[0] <= i:
            val = pt[1]
    return val
