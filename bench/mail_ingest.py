"""Mailbox ingestion benchmarks (issue 3), against a private Dovecot and Redis started here.

Measured in one run over the same generated messages (mixed charsets: UTF-8, GBK labelled
gb2312, Big5; 20% with a ~30 KB attachment):

  fetch   raw imapclient batched fetch (UID FETCH BODY.PEEK[] in batches of 100): msgs/s
  parse   intake.mailbox.decoding.parsing.parse_message over the same bytes, in process: msgs/s
  e2e     `poll --once` (store raw + enqueue) beside one `intake worker` process, until every
          item is committed, and until every item has its suggestions: msgs/s, and the ratio
          to parse (target ≥ 0.7)
  floor   the items of the same messages written with `submit_many` alone (100 per statement,
          a commit per 100): ms per message, and parse / (parse + floor), the ceiling of e2e
  empty   cost of a poll with nothing new on the full mailbox (one UID SEARCH): median ms
  idle    APPEND → item committed with `intake watch` (IDLE) and one worker process: p50/p95 s
  memory  RSS of `intake watch` and `intake worker` processes while N messages flow through
          them (written into the Maildir in chunks), after the first chunk and at the end

    .venv/bin/python bench/mail_ingest.py --messages 2000
    .venv/bin/python bench/mail_ingest.py --messages 10000 --postgres
    .venv/bin/python bench/mail_ingest.py --messages 100000 --only empty --maildir   # poll cost on a big box
    .venv/bin/python bench/mail_ingest.py --messages 100000 --only memory --max-seconds 600

--maildir writes the messages as files into the Dovecot user's Maildir (`new/`, named as
Maildir++ delivery does, owned by the mail user) instead of APPENDing them one by one; Dovecot
indexes them at the next SELECT, giving them UIDs in file-name order.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402

PASSWORD = "bench-password"
TEXTS = [
    "政务大厅3号窗口工作人员态度冷淡，办营业执照让我跑了三次，每次都说材料不齐。",
    "县工科局审批企业技改项目拖了两个月，没有任何答复，希望尽快办理。",
    "便民窗口中午无人值守，群众排队一个多小时，建议安排轮岗。",
    "鎮雄縣政務服務大廳的自助機經常故障，希望儘快維修。",  # Traditional, as sent
]


def make_message(n: int, rnd: random.Random) -> bytes:
    text = TEXTS[n % len(TEXTS)] + f" 编号 B{n:06d}"
    charset = ["utf-8", "gb2312", "big5"][n % 3]
    if charset == "big5":
        text = TEXTS[3] + f" 編號 B{n:06d}"
    codec = {"gb2312": "gb18030"}.get(charset, charset)
    body = text.encode(codec)
    head = (
        f"From: citizen{n % 500}@example.cn\r\nTo: jdyx@zxzx.gov.cn\r\n"
        f"Subject: =?utf-8?B?{__import__('base64').b64encode(f'反映 {n}'.encode()).decode()}?=\r\n"
        f"Date: Tue, 03 Nov 2026 10:20:00 +0800\r\nMessage-ID: <bench-{n}@example.cn>\r\nMIME-Version: 1.0\r\n"
    ).encode()
    if rnd.random() < 0.2:
        payload = __import__("base64").encodebytes(os.urandom(30_000))
        return head + (
            b'Content-Type: multipart/mixed; boundary="bb"\r\n\r\n--bb\r\n'
            b"Content-Type: text/plain; charset="
            + charset.encode()
            + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + body
            + b'\r\n--bb\r\nContent-Type: image/jpeg; name="photo.jpg"\r\n'
            b'Content-Disposition: attachment; filename="photo.jpg"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            + payload
            + b"--bb--\r\n"
        )
    return (
        head
        + b"Content-Type: text/plain; charset="
        + charset.encode()
        + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body
        + b"\r\n"
    )


def _b64(data: bytes) -> bytes:
    import base64

    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _qp(data: bytes) -> bytes:
    import quopri

    return quopri.encodestring(data).replace(b"\n", b"\r\n")


def _word(text: str, charset: str) -> str:
    import base64

    return f"=?{charset}?B?{base64.b64encode(text.encode('gb18030' if charset.lower() in ('gbk', 'gb2312', 'gb18030') else charset)).decode()}?="


def make_webmail_message(n: int, rnd: random.Random) -> bytes:
    """A message as the webmail and desktop clients people use write it: relay headers and a
    DKIM signature, multipart/alternative with a plain and an HTML part, in turn QQ Mail (GB18030,
    base64), Outlook (gb2312, quoted-printable, Word HTML) and an iPhone (Big5, Traditional);
    20% with a ~30 KB photo (multipart/mixed, the file name an encoded word as Outlook writes it)."""
    style = ["qq", "outlook", "iphone"][n % 3]
    text = TEXTS[n % 3] + f" 编号 B{n:06d}"
    if style == "iphone":
        text = TEXTS[3] + f" 編號 B{n:06d}"
    lines = [
        text,
        "",
        "具体情况如下：" if style != "iphone" else "具體情況如下：",
        "1. 上午九点到大厅取号，等了一个多小时。" if style != "iphone" else "1. 上午九點到大廳取號，等了一個多小時。",
        "2. 窗口说材料不齐，但没有一次性告知需要哪些材料。"
        if style != "iphone"
        else "2. 窗口說材料不齊，但沒有一次性告知需要哪些材料。",
        "",
        "希望有关部门核实处理，谢谢！" if style != "iphone" else "希望有關部門核實處理，謝謝！",
        "",
        "张先生" if style != "iphone" else "陳先生",
    ]
    plain = "\r\n".join(lines)
    sender = f"citizen{n % 500}@" + {"qq": "qq.com", "outlook": "163.com", "iphone": "icloud.com"}[style]
    relay = (
        f"Received: from mx{n % 7}.mail.example.cn (unknown [10.0.{n % 250}.{n % 200}])\r\n\tby mail.zxzx.gov.cn (Postfix) with ESMTPS id {n:X}A3F\r\n"
        f"\tfor <jdyx@zxzx.gov.cn>; Tue, 03 Nov 2026 10:20:{n % 60:02d} +0800 (CST)\r\n"
        f"Received: from [192.168.1.{n % 250}] (unknown [117.136.{n % 250}.{n % 99}])\r\n\tby smtp.example.cn with ESMTPA id {n:08X}; Tue, 03 Nov 2026 10:20:00 +0800\r\n"
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.cn; s=s201512; t=1793672400;\r\n"
        "\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; h=From:Subject:Date:To:Message-ID;\r\n"
        "\tb=Y2uTnB4Nf0gR6p5Gq1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6a7B8c9D0e1F2g3H4i5J6k7L8m9N0o1P2q3R4s5T6u\r\n"
        "\t v7W8x9Y0z1A2b3C4d5E6f7G8h9I0j1K2l3M4n5O6p7Q8r9S0t1U2v3W4x5Y6z7A8b9C0d1E2f3G4h5I6j7K8l9M0n1O2\r\n"
    )
    if style == "qq":
        charset, cte = "gb18030", "base64"
        html = (
            "<div>" + "</div><div>".join(line or "<br>" for line in lines) + "</div>"
            '<div><br></div><div><sign signid="0"><div style="color:#909090;font-family:Arial Narrow;font-size:12px">'
            '------------------</div><div style="font-size:14px;font-family:Verdana;color:#000;"><div>张先生</div></div></sign></div>'
        )
        head = (
            relay + f'From: "{_word("张先生", "gb18030")}" <{sender}>\r\nTo: "jdyx" <jdyx@zxzx.gov.cn>\r\n'
            f"Subject: {_word(f'反映 {n}', 'gb18030')}\r\nMime-Version: 1.0\r\nX-QQ-MIME: TCMime 1.0 by Tencent\r\nX-Mailer: QQMail 2.x\r\n"
        )
    elif style == "outlook":
        charset, cte = "gb2312", "quoted-printable"
        html = (
            '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">'
            '<head><meta http-equiv=Content-Type content="text/html; charset=gb2312"><meta name=Generator content="Microsoft Word 15 (filtered medium)">'
            "<style><!--\r\n@font-face {font-family:宋体;}\r\n@font-face {font-family:等线;}\r\n"
            "p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm;text-align:justify;font-size:10.5pt;font-family:等线;}\r\n"
            "span.EmailStyle17 {mso-style-type:personal-compose;font-family:等线;color:windowtext;}\r\n"
            ".MsoChpDefault {mso-style-type:export-only;font-family:等线;}\r\n@page WordSection1 {size:612.0pt 792.0pt;margin:72.0pt 90.0pt 72.0pt 90.0pt;}\r\n"
            'div.WordSection1 {page:WordSection1;}\r\n--></style></head><body lang=ZH-CN link="#0563C1" vlink="#954F72" style=\'text-justify-trim:punctuation\'>'
            "<div class=WordSection1>"
            + "".join(f"<p class=MsoNormal><span lang=EN-US>{line or '<o:p>&nbsp;</o:p>'}</span></p>" for line in lines)
            + "</div></body></html>"
        )
        head = (
            relay + f'From: "{_word("张先生", "gb2312")}" <{sender}>\r\nTo: <jdyx@zxzx.gov.cn>\r\n'
            f"Subject: {_word(f'反映 {n}', 'gb2312')}\r\nMIME-Version: 1.0\r\nX-Mailer: Microsoft Outlook 16.0\r\nThread-Index: AdnB{n:08X}\r\nContent-Language: zh-cn\r\n"
        )
    else:
        charset, cte = "big5", "base64"
        html = (
            '<html><head><meta http-equiv="content-type" content="text/html; charset=big5"></head><body dir="auto">'
            + "".join(f'<div dir="ltr">{line or "<br>"}</div>' for line in lines)
            + '<div dir="ltr"><br><div>從我的 iPhone 傳送</div></div></body></html>'
        )
        head = (
            relay + f"From: {_word('陳先生', 'big5')} <{sender}>\r\nTo: jdyx@zxzx.gov.cn\r\n"
            f"Subject: {_word(f'反映 {n}', 'big5')}\r\nMime-Version: 1.0 (1.0)\r\nX-Mailer: iPhone Mail (21A351)\r\n"
        )
    codec = "gb18030" if charset in ("gb2312", "gb18030") else charset
    encode = _b64 if cte == "base64" else _qp
    head += f"Date: Tue, 03 Nov 2026 10:20:00 +0800\r\nMessage-ID: <webmail-{n}@example.cn>\r\n"
    alternative = (
        b'Content-Type: multipart/alternative;\r\n\tboundary="----=_Alt_' + str(n).encode() + b'"\r\n\r\n'
        b"------=_Alt_"
        + str(n).encode()
        + b'\r\nContent-Type: text/plain;\r\n\tcharset="'
        + charset.encode()
        + b'"\r\nContent-Transfer-Encoding: '
        + cte.encode()
        + b"\r\n\r\n"
        + encode(plain.encode(codec))
        + b"\r\n"
        b"------=_Alt_"
        + str(n).encode()
        + b'\r\nContent-Type: text/html;\r\n\tcharset="'
        + charset.encode()
        + b'"\r\nContent-Transfer-Encoding: '
        + cte.encode()
        + b"\r\n\r\n"
        + encode(html.encode(codec))
        + b"\r\n"
        b"------=_Alt_" + str(n).encode() + b"--\r\n"
    )
    if rnd.random() >= 0.2:
        return head.encode() + alternative
    name = _word(f"现场照片{n}.jpg", "gb2312")
    return head.encode() + (
        b'Content-Type: multipart/mixed;\r\n\tboundary="----=_Mix_'
        + str(n).encode()
        + b'"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n'
        b"------=_Mix_" + str(n).encode() + b"\r\n" + alternative + b"\r\n"
        b"------=_Mix_" + str(n).encode() + b'\r\nContent-Type: image/jpeg;\r\n\tname="' + name.encode() + b'"\r\n'
        b'Content-Disposition: attachment;\r\n\tfilename="'
        + name.encode()
        + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + _b64(b"\xff\xd8\xff\xe0" + os.urandom(30_000))
        + b"\r\n------=_Mix_"
        + str(n).encode()
        + b"--\r\n"
    )


MIXES = {"plain": make_message, "webmail": make_webmail_message}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument(
        "--postgres", action="store_true", help="use the PostgreSQL at TEST_DATABASE_URL (db intake_bench)"
    )
    parser.add_argument("--only", choices=["all", "empty", "memory"], default="all")
    parser.add_argument("--idle-samples", type=int, default=40)
    parser.add_argument(
        "--mix",
        choices=sorted(MIXES),
        default="plain",
        help="plain: short text/plain messages (UTF-8, GBK labelled gb2312, Big5); webmail: "
        "multipart/alternative with HTML as QQ Mail, Outlook and iPhone write it",
    )
    parser.add_argument("--maildir", action="store_true", help="write the Maildir files directly instead of APPEND")
    parser.add_argument("--max-seconds", type=float, default=600, help="memory: stop feeding after this long")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temp dir (Maildir, logs, SQLite file)")
    args = parser.parse_args()

    workdir = servers.tempdir("intake-bench-mail-")
    os.environ.setdefault("INTAKE_CONFIG", "test")
    users = workdir / "dovecot" / "users"
    users.parent.mkdir(parents=True)
    users.write_text(
        f"bench:{{PLAIN}}{PASSWORD}:8:8::{workdir / 'dovecot' / 'mail' / 'bench'}::\n"
        f"idle:{{PLAIN}}{PASSWORD}:8:8::{workdir / 'dovecot' / 'mail' / 'idle'}::\n"
    )
    dovecot = servers.start_dovecot(workdir / "dovecot")
    redis = servers.start_redis(workdir)
    admin_url = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    if args.postgres:
        db_url = servers.create_database(admin_url, "intake_bench")
    else:
        db_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    results: dict = {
        "messages": args.messages,
        "database": "postgresql" if args.postgres else "sqlite",
        "mix": args.mix,
    }
    procs: list[subprocess.Popen] = []
    try:
        from flask_migrate import upgrade
        from imapclient import IMAPClient

        from intake import create_app
        from intake.extensions import db
        from intake.mailbox import services

        overrides = dict(
            SQLALCHEMY_DATABASE_URI=db_url,
            REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
            UPLOAD_DIR=str(workdir / "uploads"),
            IMAP_HOST="127.0.0.1",
            IMAP_PORT=dovecot.port,
            IMAP_SSL=False,
            IMAP_USER="bench",
            IMAP_PASSWORD=PASSWORD,
            SMTP_HOST="",
        )
        app = create_app("test", **overrides)
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            mailbox_id = services.ensure_default_mailbox(app.config).id
            db.session.commit()

        if args.only == "memory":
            results.update(memory(app, workdir, overrides, dovecot, args.messages, args.max_seconds, procs))
        else:
            rnd = random.Random(3)
            raws = [MIXES[args.mix](n, rnd) for n in range(args.messages)]
            client = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False)
            client.login("bench", PASSWORD)
            started = time.perf_counter()
            if args.maildir:
                write_maildir(workdir / "dovecot" / "mail" / "bench", raws)
                client.select_folder("INBOX", readonly=True)  # Dovecot indexes new/ here
                results["maildir_write_and_index_per_s"] = round(len(raws) / (time.perf_counter() - started), 1)
            else:
                for raw in raws:
                    client.append("INBOX", raw)
                results["append_per_s"] = round(len(raws) / (time.perf_counter() - started), 1)
            client.select_folder("INBOX", readonly=True)
            uids = client.search(["ALL"])
            assert len(uids) == len(raws), (len(uids), len(raws))

            if args.only == "all":
                started = time.perf_counter()
                fetched = 0
                for i in range(0, len(uids), 100):
                    fetched += len(client.fetch(uids[i : i + 100], ["BODY.PEEK[]"]))
                results["fetch_per_s"] = round(fetched / (time.perf_counter() - started), 1)

                from intake.mailbox.decoding.parsing import parse_message

                started = time.perf_counter()
                for raw in raws:
                    parse_message(raw)
                results["parse_per_s"] = round(len(raws) / (time.perf_counter() - started), 1)

                results.update(end_to_end(app, workdir, overrides, dovecot, mailbox_id, len(raws), procs))
                results["e2e_over_parse"] = round(results["e2e_per_s"] / results["parse_per_s"], 2)
                results["e2e_suggested_over_parse"] = round(results["e2e_suggested_per_s"] / results["parse_per_s"], 2)
                results.update(write_floor(app, raws, results["parse_per_s"]))
                from workers.watcher import poll_once

                started = time.perf_counter()
                poll_once(app, mailbox_id)  # marks everything (UID STORE of up to 500 UIDs at a time)
                results["mark_per_s"] = round(len(raws) / (time.perf_counter() - started), 1)
            else:
                with app.app_context():
                    from intake.mailbox.models import Mailbox

                    box = db.session.get(Mailbox, mailbox_id)
                    status = client.folder_status("INBOX", ["UIDVALIDITY"])
                    box.uidvalidity = status[b"UIDVALIDITY"]
                    box.last_uid = max(uids)
                    db.session.commit()
            client.logout()

            from intake.mailbox.session import MailboxSession

            session = MailboxSession(app, mailbox_id)
            session.connect()
            timings = []
            for _ in range(50):
                started = time.perf_counter()
                session.poll()
                timings.append((time.perf_counter() - started) * 1000)
            session.close()
            results["empty_poll_ms_median"] = round(statistics.median(timings), 2)
            results["empty_poll_ms_p95"] = round(sorted(timings)[int(len(timings) * 0.95) - 1], 2)

            if args.only == "all":
                results.update(idle_latency(app, workdir, overrides, dovecot, args.idle_samples, procs))
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        dovecot.stop()
        redis.stop()
        if args.postgres:
            servers.drop_database(admin_url, "intake_bench")
        if args.keep_temp:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)  # a 100,000-message Maildir is 1-2 GB
    print(json.dumps(results, indent=2, ensure_ascii=False))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"mail_ingest-{args.messages}-{results['database']}-{int(time.time())}.json").write_text(
        json.dumps(results, indent=2)
    )
    return 0


def write_floor(app, raws: list[bytes], parse_per_s: float) -> dict:
    """The least the parse job must write per message, measured on the same messages: their
    items alone (reporter, item with its search index, created event, attachments and their
    files) through `submit_many`, 100 per statement and one commit per 100, in this process.
    No raw row to update, no thread entry, no dedupe or thread lookups, no rq. Parsing plus
    this is a ceiling for the end-to-end rate of any pipeline that keeps those rows."""
    from intake.extensions import db
    from intake.feedback.services import submit_many
    from intake.mailbox.decoding.parsing import parse_message
    from intake.mailbox.items import submission_from

    parsed = [parse_message(raw) for raw in raws]
    elapsed = 0.0
    with app.app_context():
        for start in range(0, len(parsed), 100):
            submissions = [submission_from(p) for p in parsed[start : start + 100]]
            began = time.perf_counter()
            submit_many(submissions, tracking_prefix="FLOOR")
            db.session.commit()
            elapsed += time.perf_counter() - began
        db.session.remove()
    write_ms = elapsed * 1000 / len(raws)
    parse_ms = 1000 / parse_per_s
    return {
        "floor_write_ms": round(write_ms, 3),
        "parse_ms": round(parse_ms, 3),
        "ceiling_over_parse": round(parse_ms / (parse_ms + write_ms), 2),
    }


def process_env(overrides, dovecot, user: str) -> dict:
    env = dict(os.environ)
    env.update(
        INTAKE_CONFIG="test",
        DATABASE_URL=overrides["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=overrides["REDIS_URL"],
        UPLOAD_DIR=overrides["UPLOAD_DIR"],
        IMAP_HOST="127.0.0.1",
        IMAP_PORT=str(dovecot.port),
        IMAP_SSL="0",
        IMAP_USER=user,
        IMAP_PASSWORD=PASSWORD,
        IMAP_POLL_SECONDS="60",
        SMTP_HOST="",
    )
    return env


def count_rows(app, model) -> int:
    from sqlalchemy import func, select

    from intake.extensions import db

    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
    return n


def wait_for_rows(app, model, n: int, proc: subprocess.Popen, timeout: float = 1800) -> float:
    """perf_counter() when `model` has n rows (checked every 20 ms)."""
    deadline = time.perf_counter() + timeout
    while count_rows(app, model) < n:
        if proc.poll() is not None:
            raise RuntimeError("the worker died; see e2e-worker.log")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{model.__name__}: fewer than {n} rows after {timeout} s")
        time.sleep(0.02)
    return time.perf_counter()


def end_to_end(app, workdir, overrides, dovecot, mailbox_id, n, procs) -> dict:
    """The watcher's pass (`poll --once`: fetch, store raw + checkpoint, enqueue a parse job per
    batch) in this process while one `intake worker` process, started and idle beforehand,
    parses: as in production, the two work side by side. Timed from the start of the poll to
    the last item committed, and on to the last item's suggestions (triage queue)."""
    from rq import Worker

    from intake.feedback.models import FeedbackItem
    from intake.redis_client import redis_connection
    from intake.triage.models import ItemSuggestion
    from workers.watcher import poll_once

    flask = str(Path(sys.executable).with_name("flask"))
    log = open(workdir / "e2e-worker.log", "ab")
    worker = subprocess.Popen(
        [flask, "--app", "wsgi", "intake", "worker"],
        cwd=ROOT,
        env=process_env(overrides, dovecot, "bench"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    procs.append(worker)
    with app.app_context():
        connection = redis_connection()
    deadline = time.perf_counter() + 60
    while not Worker.all(connection=connection):
        if worker.poll() is not None or time.perf_counter() > deadline:
            raise RuntimeError("the worker did not start; see e2e-worker.log")
        time.sleep(0.1)
    time.sleep(1)  # registered, then idle on the queues
    started = time.perf_counter()
    poll_once(app, mailbox_id)
    stored_at = time.perf_counter()
    items_at = wait_for_rows(app, FeedbackItem, n, worker)
    suggested_at = wait_for_rows(app, ItemSuggestion, n, worker)
    worker.terminate()
    worker.wait(30)
    procs.remove(worker)
    return {
        "e2e_items": count_rows(app, FeedbackItem),
        "store_per_s": round(n / (stored_at - started), 1),
        "e2e_per_s": round(n / (items_at - started), 1),
        "e2e_suggested_per_s": round(n / (suggested_at - started), 1),
    }


def idle_latency(app, workdir, overrides, dovecot, samples, procs) -> dict:
    """APPEND → item committed, with `intake watch` (IDLE) and `intake worker` as processes."""
    from imapclient import IMAPClient
    from sqlalchemy import select

    from intake.extensions import db
    from intake.feedback.models import FeedbackItem

    env = process_env(overrides, dovecot, "idle")
    flask = str(Path(sys.executable).with_name("flask"))
    log = open(workdir / "idle-procs.log", "ab")
    for args in (["watch"], ["worker"]):
        procs.append(
            subprocess.Popen(
                [flask, "--app", "wsgi", "intake", *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        )
    client = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False)
    client.login("idle", PASSWORD)
    time.sleep(4)  # both processes up and the watcher idling
    latencies = []
    for n in range(samples):
        raw = make_message(900_000 + n, random.Random(n))
        started = time.perf_counter()
        client.append("INBOX", raw)
        code = f"B{900_000 + n:06d}"
        while True:
            with app.app_context():
                found = db.session.scalar(select(FeedbackItem.id).where(FeedbackItem.body.contains(code)))
                db.session.remove()
            if found:
                break
            if time.perf_counter() - started > 30:
                raise RuntimeError("item did not appear within 30 s")
            time.sleep(0.01)
        latencies.append(time.perf_counter() - started)
        time.sleep(0.2)
    client.logout()
    latencies.sort()
    return {
        "idle_p50_s": round(statistics.median(latencies), 3),
        "idle_p95_s": round(latencies[max(0, int(len(latencies) * 0.95) - 1)], 3),
    }


def write_maildir(maildir: Path, raws: list[bytes], start: int = 0) -> None:
    """Deliver as a local delivery agent would: write into tmp/, rename into new/ under a
    unique Maildir name (time.Mseq.Ppid.host,S=size), owned by the mail user."""
    import pwd

    mail = pwd.getpwnam("mail")
    for sub in ("", "tmp", "new", "cur"):
        (maildir / sub).mkdir(exist_ok=True)
        shutil.chown(maildir / sub, mail.pw_uid, mail.pw_gid)
    now = int(time.time())
    for n, raw in enumerate(raws, start):
        name = f"{now}.M{n:07d}P{os.getpid()}.bench,S={len(raw)}"
        tmp = maildir / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, mail.pw_uid, mail.pw_gid)
        os.rename(tmp, maildir / "new" / name)


def rss_kb(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory(app, workdir, overrides, dovecot, total, max_seconds, procs) -> dict:
    """RSS of `intake watch` and `intake worker` while `total` messages flow through them, fed
    into the Maildir in chunks of 2,000 as the previous chunk is done (or until max_seconds)."""
    from sqlalchemy import func, select

    from intake.extensions import db
    from intake.mailbox.models import InboundMessage, InboundState

    env = process_env(overrides, dovecot, "bench")
    flask = str(Path(sys.executable).with_name("flask"))
    log = open(workdir / "memory-procs.log", "ab")
    watcher = subprocess.Popen(
        [flask, "--app", "wsgi", "intake", "watch"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    worker = subprocess.Popen(
        [flask, "--app", "wsgi", "intake", "worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    procs += [watcher, worker]
    maildir = workdir / "dovecot" / "mail" / "bench"
    rnd = random.Random(5)
    chunk, fed, samples = 2000, 0, []
    started = time.perf_counter()

    def done() -> int:
        with app.app_context():
            n = db.session.scalar(
                select(func.count()).where(
                    InboundMessage.state == InboundState.parsed, InboundMessage.marked_at.is_not(None)
                )
            )
            db.session.remove()
        return n

    while fed < total and time.perf_counter() - started < max_seconds:
        write_maildir(maildir, [make_message(n, rnd) for n in range(fed, min(total, fed + chunk))], start=fed)
        fed = min(total, fed + chunk)
        while done() < fed:
            if watcher.poll() is not None or worker.poll() is not None:
                raise RuntimeError("watcher or worker died; see memory-procs.log")
            time.sleep(0.5)
        samples.append(
            {
                "messages": fed,
                "s": round(time.perf_counter() - started, 1),
                "watcher_kb": rss_kb(watcher.pid),
                "worker_kb": rss_kb(worker.pid),
            }
        )
        print(json.dumps(samples[-1]), flush=True)
    first, last = samples[0], samples[-1]
    return {
        "memory_messages": fed,
        "memory_seconds": last["s"],
        "memory_per_s": round(fed / last["s"], 1),
        "watcher_rss_kb_first_chunk": first["watcher_kb"],
        "watcher_rss_kb_end": last["watcher_kb"],
        "watcher_growth": round(last["watcher_kb"] / first["watcher_kb"] - 1, 3),
        "worker_rss_kb_first_chunk": first["worker_kb"],
        "worker_rss_kb_end": last["worker_kb"],
        "worker_growth": round(last["worker_kb"] / first["worker_kb"] - 1, 3),
        "memory_samples": samples,
    }


if __name__ == "__main__":
    sys.exit(main())
