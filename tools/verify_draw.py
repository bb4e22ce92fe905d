"""Verify a lottery record of intake (draw.json, algorithm sha256-rank-v1) with the standard library.
Usage: python3 verify_draw.py https://example.gov.cn/program/2027/draw.json   (or a file path)"""

import hashlib
import json
import re
import sys
import unicodedata
import urllib.request

src = sys.argv[1]
raw = urllib.request.urlopen(src).read() if "://" in src else open(src, "rb").read()
d = json.loads(raw)


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


pool = sorted(({"code": u["code"], "name": u["name"]} for u in d["pool"]), key=lambda u: u["code"])
ok = sha(json.dumps(pool, ensure_ascii=False, separators=(",", ":"), sort_keys=True)) == d["pool_sha256"]
print("pool_sha256", "matches" if ok else "DOES NOT MATCH")
if "beacon" not in d:
    sys.exit(print("not drawn yet") or (0 if ok else 1))
beacon = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", d["beacon"])).strip()
fmt = "".join("[0-9]" if c == "N" else re.escape(c) for c in d["beacon_format"] or "")
ok &= beacon == d["beacon"] and (not fmt or re.fullmatch(fmt, beacon) is not None)
scores = sorted(
    ({"code": u["code"], "score": sha(beacon + "/" + u["code"])} for u in pool), key=lambda s: (s["score"], s["code"])
)
ok &= scores == d["scores"] and [s["code"] for s in scores[: d["count"]]] == d["selected"]
print("selected", " ".join(d["selected"]), "- verified" if ok else "- NOT VERIFIED")
sys.exit(0 if ok else 1)
