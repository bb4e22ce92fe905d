"""Issue 19, item 5: what each page of the public journey costs in-process, against the bare
Flask route, with no server, network or load script in between.

The journey of `bench/public_load.py` (form, POST with a 43 KB photo, receipt, lookup form,
lookup POST, progress page, a unit's page) through Flask's test client, one thread, on a fresh
SQLite file (migrated and seeded) in the test configuration; then a 404 through the whole app
(sessions, locale, CSRF, security headers, the access log) and `bench/bare_flask.py`'s route.
Prints the median milliseconds of each page over --journeys journeys (the first --warm left
out) and what the journey's requests cost on average.

    .venv/bin/python bench/page_cost.py [--journeys 60]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadkit import hidden_fields  # noqa: E402
from bench.public_load import BODY_TEXT, CODE_RE, SECRET_RE, form_fields, make_photo  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=60)
    parser.add_argument("--warm", type=int, default=10)
    args = parser.parse_args()
    if args.warm < 0 or args.journeys <= args.warm:
        parser.error("--journeys must be more than --warm (and --warm not negative)")
    workdir = Path(tempfile.mkdtemp(prefix="intake-bench-pages-"))
    env = dict(
        os.environ,
        INTAKE_CONFIG="test",
        DATABASE_URL=f"sqlite:///{workdir / 'pages.sqlite3'}",
        UPLOAD_DIR=str(workdir / "uploads"),
    )
    os.environ.update({k: env[k] for k in ("INTAKE_CONFIG", "DATABASE_URL", "UPLOAD_DIR")})
    try:
        flask = str(Path(sys.executable).with_name("flask"))
        for command in (["db", "upgrade"], ["intake", "seed"]):
            done = subprocess.run([flask, "--app", "wsgi", *command], cwd=ROOT, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"flask {' '.join(command)} failed:\n{done.stderr[-3000:]}")
        return _measure(args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _measure(args) -> int:
    import wsgi
    from bench import bare_flask

    app = wsgi.app
    app.config["SUBMIT_LIMIT"] = 10**9
    client, bare = app.test_client(), bare_flask.app.test_client()
    photo = make_photo()
    times: dict[str, list[float]] = {}

    def timed(label, status, call, *args, **kwargs):
        started = time.perf_counter()
        response = call(*args, **kwargs)
        times.setdefault(label, []).append(time.perf_counter() - started)
        if response.status_code != status:
            raise SystemExit(f"{label}: {response.status_code}, expected {status}")
        return response.get_data(as_text=True)

    for n in range(args.journeys):
        html = timed("form", 200, client.get, "/jiandu/")
        data = {
            **hidden_fields(form_fields(html, "/jiandu/") or html),
            "kind": "complaint",
            "unit_id": "0",
            "category_id": "0",
            "subject": "不动产登记窗口办事难",
            "body": f"{BODY_TEXT}（第 {n} 件）",
            "name": "张三",
            "phone": "13800138000",
            "consent": "y",
            "website": "",
            "attachments": (BytesIO(photo), "现场照片.jpg", "image/jpeg"),
        }
        timed("submit (photo)", 303, client.post, "/jiandu/", data=data, content_type="multipart/form-data")
        receipt = timed("receipt", 200, client.get, "/jiandu/submitted")
        code, secret = CODE_RE.search(receipt).group(1).strip(), SECRET_RE.search(receipt).group(1).strip()
        lookup = timed("lookup form", 200, client.get, f"/jiandu/track?code={code}")
        fields = {**hidden_fields(form_fields(lookup, "/jiandu/track") or lookup), "code": code, "secret": secret}
        timed("lookup POST", 303, client.post, "/jiandu/track", data=fields)
        timed("progress", 200, client.get, f"/jiandu/track/{code}")
        timed("unit page", 200, client.get, "/jiandu/units/zwfw")
        timed("404, whole app", 404, client.get, "/no-such-page")
        timed("bare route", 200, bare.get, "/")
    medians = {label: statistics.median(values[args.warm :]) * 1000 for label, values in times.items()}
    for label, ms in medians.items():
        print(f"{label:16} {ms:7.2f} ms")
    journey = [v for k, v in medians.items() if k not in ("404, whole app", "bare route")]
    print(f"journey: {len(journey)} requests, {sum(journey):.1f} ms, {sum(journey) / len(journey):.2f} ms a request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
