"""Public pages under load (issue 19, item 5): 50 concurrent browser-like clients against
gunicorn with the production config, PostgreSQL and Redis, against a bare Flask endpoint served
by the same gunicorn settings in the same run.

    .venv/bin/python bench/public_load.py                       # 50 clients, 3 rounds of 15 s
    .venv/bin/python bench/public_load.py --rounds 1 --seconds 10 --keep-temp

Each intake client, as a browser would, in a loop: GET the form /jiandu/ (session cookie, CSRF
token and the form's other hidden fields, the unit and category choices), POST it as
multipart/form-data with a small JPEG photo (303 to /jiandu/submitted), GET the receipt page
(tracking code and lookup secret), GET the lookup form /jiandu/track?code=…, POST code and
secret (303 to the progress page), GET the progress page /jiandu/track/<code>, GET a unit's
public page /jiandu/units/<code>. The public form enforces no minimum fill time (no hidden time
field, no check in intake/feedback); --fill-seconds makes clients wait between GET and POST
anyway. Each baseline client: GET / of bench/bare_flask.py on its own keep-alive connection.

Phases alternate, bare then intake, each with the same 50 clients (split over --client-procs
processes, asyncio inside); requests/s counts requests started and finished in the phase. The
per-client limit of the form (SUBMIT_LIMIT per client address in SUBMIT_WINDOW_MINUTES) is raised
through configuration for the run (SUBMIT_LIMIT=1000000): every client comes from 127.0.0.1.
The lookup limit counts only failed lookups, and none fail. Afterwards the rows in
feedback_items and attachments must equal the submissions the clients saw accepted.

Targets: requests/s ≥ 0.5× the bare endpoint, p95 ≤ 200 ms per page, 0 errors. Exit code 0
when the run was clean (targets are printed), 1 on errors or rows that do not add up, 2 when the
servers could not be set up."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing
import os
import platform
import re
import signal
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadkit  # noqa: E402 - bench/loadkit.py, beside this script
from loadkit import Browser, HttpError, hidden_fields, log, percentile  # noqa: E402

TARGET_RATIO = 0.5
TARGET_P95_MS = 200.0
DB_NAME = "intake_bench_public"
PAGES = ["form", "submit", "receipt", "lookup", "lookup POST", "progress", "unit page"]
PAGE_PATHS = {
    "form": "GET /jiandu/",
    "submit": "POST /jiandu/ (photo)",
    "receipt": "GET /jiandu/submitted",
    "lookup": "GET /jiandu/track?code=",
    "lookup POST": "POST /jiandu/track",
    "progress": "GET /jiandu/track/<code>",
    "unit page": "GET /jiandu/units/<code>",
    "bare": "GET / (bare Flask)",
}
UNIT_CODES = ["zwfw", "gk"]  # the seed's two units under listed supervision this year
SELECT_RE = r'<select[^>]*name="{name}"[^>]*>(.*?)</select>'
OPTION_RE = re.compile(r'<option[^>]*value="([^"]*)"')
FORM_RE = re.compile(r'<form\b[^>]*action="{action}"[^>]*>(.*?)</form>', re.S)
CODE_RE = re.compile(r'id="tracking-code">([^<]+)<')
SECRET_RE = re.compile(r'id="lookup-secret">([^<]+)<')
BODY_TEXT = (
    "政务服务大厅3号窗口办理不动产登记时，工作人员态度生硬，材料要求前后不一致，"
    "让我来回跑了三次仍未办结。希望政协监督有关部门规范一次性告知制度，改进服务作风。"
)
REQUEST_TIMEOUT = 60.0


def make_photo() -> bytes:
    """A small JPEG as a phone would send it (~20 KB): a gradient with some detail."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (200, 200, 190))
    draw = ImageDraw.Draw(image)
    for n in range(0, 480, 12):
        draw.line((n, 0, 480 - n, 360), fill=(n % 255, (n * 3) % 255, 120), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def form_fields(html: str, action: str) -> str:
    """The inside of the page's <form action="ACTION">: only its hidden fields are sent back."""
    match = re.compile(FORM_RE.pattern.format(action=re.escape(action)), re.S).search(html)
    return match.group(1) if match else ""


# --- the clients (in child processes) -------------------------------------------------------


class Failed(Exception):
    """A page did not answer as a browser expects; the journey stops there."""


class Phase:
    """What one client process saw in one phase."""

    def __init__(self, t_start: float, t_end: float):
        self.t_start, self.t_end = t_start, t_end
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.in_window = 0
        self.errors: list[str] = []
        self.accepted = 0
        self.journeys = 0

    async def timed(self, label: str, call, status: int, location: str | None = None):
        t0 = time.monotonic()
        try:
            response = await asyncio.wait_for(call, REQUEST_TIMEOUT)
        except (TimeoutError, OSError, HttpError, asyncio.IncompleteReadError, ValueError) as exc:
            raise Failed(f"{label}: {type(exc).__name__}: {exc}") from exc
        t1 = time.monotonic()
        if response.status != status or (location is not None and response.location_path != location):
            where = f" -> {response.header('location')}" if response.header("location") else ""
            raise Failed(f"{label}: {response.status}{where} {response.body[:160]!r}")
        if t0 >= self.t_start and t1 <= self.t_end:
            self.in_window += 1
            self.latencies[label].append((t1 - t0) * 1000)
        return response

    def result(self, cpu: float, retries: int) -> dict:
        return {
            "latencies": dict(self.latencies),
            "in_window": self.in_window,
            "errors": self.errors,
            "accepted": self.accepted,
            "journeys": self.journeys,
            "cpu": cpu,
            "retries": retries,
        }


async def intake_client(phase: Phase, browser: Browser, n: int, photo: bytes, fill_seconds: float) -> None:
    unit_code = UNIT_CODES[n % len(UNIT_CODES)]
    sent = 0
    while time.monotonic() < phase.t_end:
        phase.journeys += 1
        try:
            page = await phase.timed("form", browser.get("/jiandu/"), 200)
            opened = time.monotonic()
            html = page.text
            fields = hidden_fields(form_fields(html, "/jiandu/") or html)
            if "csrf_token" not in fields:
                raise Failed("form: no CSRF token in the page")
            choices = {}
            for name in ("unit_id", "category_id"):
                select = re.search(SELECT_RE.format(name=name), html, re.S)
                choices[name] = [v for v in OPTION_RE.findall(select.group(1) if select else "") if v]
            if not choices["unit_id"] or not choices["category_id"]:
                raise Failed("form: no unit or category choices (was the database seeded?)")
            if fill_seconds > 0:
                await asyncio.sleep(max(0.0, fill_seconds - (time.monotonic() - opened)))
            body = [
                *fields.items(),
                ("kind", "complaint"),
                ("unit_id", choices["unit_id"][(n + sent) % len(choices["unit_id"])]),
                ("category_id", choices["category_id"][(n + sent) % len(choices["category_id"])]),
                ("subject", "不动产登记窗口办事难"),
                ("body", f"{BODY_TEXT}（客户端 {n}，第 {sent} 件）"),
                ("location", "县政务服务中心一楼3号窗口"),
                ("name", "张三"),
                ("phone", "13800138000"),
                ("email", "zhangsan@example.com"),
                ("consent", "y"),
                ("website", ""),
            ]
            sent += 1
            files = [("attachments", "现场照片.jpg", "image/jpeg", photo)]
            await phase.timed("submit", browser.post_multipart("/jiandu/", body, files), 303, "/jiandu/submitted")
            phase.accepted += 1
            receipt = (await phase.timed("receipt", browser.get("/jiandu/submitted"), 200)).text
            code, secret = CODE_RE.search(receipt), SECRET_RE.search(receipt)
            if not code or not secret:
                raise Failed("receipt: no tracking code or lookup secret on the page")
            code, secret = code.group(1).strip(), secret.group(1).strip()
            lookup = await phase.timed("lookup", browser.get(f"/jiandu/track?code={code}"), 200)
            fields = hidden_fields(form_fields(lookup.text, "/jiandu/track") or lookup.text)
            call = browser.post_form("/jiandu/track", {**fields, "code": code, "secret": secret})
            await phase.timed("lookup POST", call, 303, f"/jiandu/track/{code}")
            progress = await phase.timed("progress", browser.get(f"/jiandu/track/{code}"), 200)
            if code not in progress.text:
                raise Failed("progress: the page does not show the tracking code")
            await phase.timed("unit page", browser.get(f"/jiandu/units/{unit_code}"), 200)
        except Failed as exc:
            phase.errors.append(f"client {n}: {exc}")
            browser.close()


async def bare_client(phase: Phase, browser: Browser, n: int) -> None:
    while time.monotonic() < phase.t_end:
        try:
            response = await phase.timed("bare", browser.get("/"), 200)
            if response.body != b"ok":
                raise Failed(f"bare: {response.body[:80]!r}")
        except Failed as exc:
            phase.errors.append(f"client {n}: {exc}")
            browser.close()


async def run_phase(kind: str, t_start: float, t_end: float, browsers: dict, photo: bytes, fill: float) -> dict:
    phase = Phase(t_start, t_end)
    while time.monotonic() < t_start:
        await asyncio.sleep(min(0.01, t_start - time.monotonic()))
    cpu0 = time.process_time()
    retries0 = sum(b.retries for b in browsers[kind].values())
    if kind == "intake":
        tasks = [intake_client(phase, b, n, photo, fill) for n, b in browsers[kind].items()]
    else:
        tasks = [bare_client(phase, b, n) for n, b in browsers[kind].items()]
    await asyncio.gather(*tasks)
    for browser in browsers[kind].values():
        browser.close()  # the next phase of this kind opens new connections
    retries = sum(b.retries for b in browsers[kind].values()) - retries0
    return phase.result(time.process_time() - cpu0, retries)


def client_process(conn, ids: list[int], ports: dict[str, int], photo: bytes, fill: float) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
    browsers = {kind: {n: Browser(port) for n in ids} for kind, port in ports.items()}
    loop = asyncio.new_event_loop()
    conn.send("ready")
    while True:
        message = conn.recv()
        if message[0] == "stop":
            return
        _, kind, t_start, t_end = message
        conn.send(loop.run_until_complete(run_phase(kind, t_start, t_end, browsers, photo, fill)))


# --- the run ----------------------------------------------------------------------------------


def merge(kind: str, seconds: float, results: list[dict], warmup: bool) -> dict:
    latencies: dict[str, list[float]] = defaultdict(list)
    for result in results:
        for label, values in result["latencies"].items():
            latencies[label] += values
    in_window = sum(r["in_window"] for r in results)
    return {
        "kind": kind,
        "warmup": warmup,
        "seconds": seconds,
        "rps": in_window / seconds,
        "requests": in_window,
        "latencies": dict(latencies),
        "errors": [e for r in results for e in r["errors"]],
        "accepted": sum(r["accepted"] for r in results),
        "journeys": sum(r["journeys"] for r in results),
        "client_cpu_s": sum(r["cpu"] for r in results),
        "retries": sum(r["retries"] for r in results),
        "load": os.getloadavg()[0],
    }


def run(args) -> int:
    stack = loadkit.Stack(args.admin_url, DB_NAME, overrides={"SUBMIT_LIMIT": "1000000"})
    clients: list[tuple] = []
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    log(f"{started}, {os.cpu_count()} CPU(s) {loadkit.cpu_model()}, Python {platform.python_version()}")
    log(f"load average before start: {loadkit.load_average()}")
    try:
        try:
            stack.start()
            ports = {
                "intake": stack.gunicorn("wsgi:app", "intake", "/jiandu/"),
                "bare": stack.gunicorn(loadkit.BARE_APP, "bare", "/"),
            }
            for code in UNIT_CODES:
                if loadkit._get_status(ports["intake"], f"/jiandu/units/{code}") != 200:
                    raise loadkit.SetupError(f"/jiandu/units/{code} does not answer 200 (seeded units?)")
        except loadkit.SetupError as exc:
            print(f"\nSETUP FAILED: {exc}", file=sys.stderr)
            return 2
        photo = make_photo()
        ctx = multiprocessing.get_context("fork")
        ids = list(range(args.clients))
        for p in range(args.client_procs):
            parent_end, child_end = ctx.Pipe()
            share = ids[p :: args.client_procs]
            proc = ctx.Process(
                target=client_process, args=(child_end, share, ports, photo, args.fill_seconds), daemon=True
            )
            proc.start()
            clients.append((proc, parent_end))
        for _proc, conn in clients:
            conn.recv()
        workers = stack.env.get("WEB_WORKERS", "2")
        threads = stack.env.get("WEB_THREADS", "4")
        log(
            f"{args.clients} clients in {args.client_procs} processes; gunicorn {workers} workers x {threads} "
            f"threads each; photo {len(photo)} bytes; fill time {args.fill_seconds:g} s"
        )

        def phase(kind: str, seconds: float, warmup: bool = False) -> dict:
            t_start = time.monotonic() + 0.3
            for _proc, conn in clients:
                conn.send(("phase", kind, t_start, t_start + seconds))
            result = merge(kind, seconds, [conn.recv() for _proc, conn in clients], warmup)
            log(
                f"{'warm-up ' if warmup else ''}{kind}: {result['rps']:.1f} req/s, {len(result['errors'])} error(s), "
                f"load {result['load']:.2f}"
            )
            time.sleep(1.0)
            return result

        phases = []
        if args.warmup > 0:
            phases += [phase(kind, args.warmup, warmup=True) for kind in ("bare", "intake")]
        for _round in range(args.rounds):
            phases += [phase(kind, args.seconds) for kind in ("bare", "intake")]
        return report(args, stack, phases, started, photo)
    except KeyboardInterrupt:
        print("\ninterrupted; stopping the servers", file=sys.stderr)
        return 130
    finally:
        for _proc, conn in clients:
            try:
                conn.send(("stop",))
            except OSError:
                pass
        for proc, _conn in clients:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
        stack.stop(keep_temp=args.keep_temp)


def db_counts(stack: loadkit.Stack) -> dict[str, int]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            return {
                table: conn.execute(sqlalchemy.text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                for table in ("feedback_items", "attachments", "reporters")
            }
    finally:
        engine.dispose()


def _rates(phases: list[dict]) -> str:
    return ", ".join(f"{p['rps']:.1f}" for p in phases)


def report(args, stack: loadkit.Stack, phases: list[dict], started: str, photo: bytes) -> int:
    measured = [p for p in phases if not p["warmup"]]
    bare = [p for p in measured if p["kind"] == "bare"]
    intake = [p for p in measured if p["kind"] == "intake"]
    bare_rps = statistics.median(p["rps"] for p in bare)
    intake_rps = statistics.median(p["rps"] for p in intake)
    ratio = intake_rps / bare_rps if bare_rps else 0.0
    per_round = [i["rps"] / b["rps"] for b, i in zip(bare, intake, strict=True) if b["rps"]]
    merged: dict[str, list[float]] = defaultdict(list)
    for p in measured:
        for label, values in p["latencies"].items():
            merged[label] += values
    errors = [e for p in phases for e in p["errors"]]
    accepted = sum(p["accepted"] for p in phases)
    counts = db_counts(stack)
    print()
    print(f"{'page':<12} {'request':<28} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  p95 ≤ 200 ms")
    for label in PAGES + ["bare"]:
        values = merged.get(label, [])
        p95 = percentile(values, 0.95)
        met = "yes" if p95 <= TARGET_P95_MS else "NO"
        print(
            f"{label:<12} {PAGE_PATHS[label]:<28} {len(values):>7} {percentile(values, 0.5):>8.1f} "
            f"{p95:>8.1f} {max(values, default=float('nan')):>8.1f}  {met if label != 'bare' else '—'}"
        )
    print()
    print(f"bare   GET /          median {bare_rps:8.1f} req/s  (phases {_rates(bare)})")
    print(f"intake public pages   median {intake_rps:8.1f} req/s  (phases {_rates(intake)})")
    cpu_per_req = {
        kind: sum(p["client_cpu_s"] for p in ps) * 1000 / max(1, sum(p["requests"] for p in ps))
        for kind, ps in (("bare", bare), ("intake", intake))
    }
    print(
        f"client CPU per request: bare {cpu_per_req['bare']:.2f} ms, intake {cpu_per_req['intake']:.2f} ms; "
        f"connection retries {sum(p['retries'] for p in phases)}; load average at the end {loadkit.load_average()}"
    )
    print(f"per-round ratios intake/bare: {', '.join(f'{r:.3f}' for r in per_round)}")
    worst_p95 = max(percentile(merged.get(label, []), 0.95) for label in PAGES)
    print()
    print(
        f"ratio intake/bare requests/s = {ratio:.3f} (target ≥ {TARGET_RATIO}): {'met' if ratio >= 0.5 else 'NOT met'}"
    )
    print(
        f"worst page p95 = {worst_p95:.1f} ms (target ≤ {TARGET_P95_MS:g} ms): "
        f"{'met' if worst_p95 <= TARGET_P95_MS else 'NOT met'}"
    )
    print(f"errors = {len(errors)} (target 0): {'met' if not errors else 'NOT met'}")
    checks = [
        ("rows in feedback_items", counts["feedback_items"], accepted),
        ("rows in attachments (one photo each)", counts["attachments"], accepted),
    ]
    check_failed = False
    print(f"submissions accepted by the clients (303), warm-up included: {accepted}")
    for name, got, expected in checks:
        ok = got == expected
        check_failed |= not ok
        print(f"  {name:<38} {got:>7}  expected {expected:>7}  {'ok' if ok else 'MISMATCH'}")
    for sample in errors[:10]:
        print(f"  error: {sample}", file=sys.stderr)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps(
                {
                    "date": started,
                    "args": vars(args),
                    "photo_bytes": len(photo),
                    "bare_rps": bare_rps,
                    "intake_rps": intake_rps,
                    "ratio": ratio,
                    "per_round_ratios": per_round,
                    "p95_ms": {label: percentile(merged.get(label, []), 0.95) for label in PAGES + ["bare"]},
                    "errors": len(errors),
                    "accepted": accepted,
                    "counts": counts,
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    if errors or check_failed:
        print("RUN NOT CLEAN: requests failed or rows do not add up (see above)", file=sys.stderr)
        return 1
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL", loadkit.DEFAULT_PG_ADMIN_URL))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--client-procs", type=int, default=2, help="client processes (asyncio inside; default 2)")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each measured phase (default 15)")
    parser.add_argument("--warmup", type=float, default=5.0, help="warm-up seconds per kind (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds of (bare, intake) (default 3)")
    parser.add_argument(
        "--fill-seconds", type=float, default=0.0, help="wait between GET and POST of the form (default 0)"
    )
    parser.add_argument("--keep-temp", action="store_true", help="keep the temp dir (gunicorn logs)")
    parser.add_argument("--json", metavar="FILE", help="also write the summary as JSON")
    args = parser.parse_args(argv)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
