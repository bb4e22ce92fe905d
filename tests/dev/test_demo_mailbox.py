"""The demo mailbox of `make run` (intake/dev/demo_mailbox.py): a real private Dovecot under a
temporary instance directory, its sample mail ingested into items, the sample reply joining its
item by tracking code, and `intake demo-mail`."""

import os
import shutil

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select

from intake.dev import demo_mailbox
from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.mailbox.models import ThreadEntry
from intake.mailbox.services import ensure_default_mailbox, item_of_message
from tests import servers
from tests.mailbox.conftest import drain, ingest


@pytest.fixture
def demo():
    if os.geteuid() != 0:
        pytest.skip("the demo mailbox needs root (Dovecot switches to the mail user)")
    instance = servers.tempdir("intake-demo-instance-")
    instance.chmod(0o711)  # Dovecot's auth and mail processes traverse it as other users
    directory = instance / "demo-mailbox"
    proc, box = demo_mailbox.start(directory)
    yield directory, box
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(instance, ignore_errors=True)


def inbox_count(box) -> int:
    client = IMAPClient(box.host, port=box.port, ssl=False, timeout=15)
    client.login(box.user, box.password)
    try:
        return client.select_folder("INBOX", readonly=True)[b"EXISTS"]
    finally:
        client.logout()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_demo_mailbox_samples_become_items_and_the_reply_joins_its_item(demo, app, runner):
    directory, box = demo
    assert demo_mailbox.seed(box, directory) == 3
    assert demo_mailbox.seed(box, directory) == 0  # only on the first start
    assert inbox_count(box) == 3

    app.config.update(
        {k: (int(v) if k == "IMAP_PORT" else v) for k, v in box.env().items()},
        IMAP_SSL=False,
        IMAP_STARTTLS=False,
        IMAP_PROCESSED_FOLDER="",
    )
    with app.app_context():
        mailbox_id = ensure_default_mailbox(app.config).id
        db.session.commit()
    ingest(app, mailbox_id)
    with app.app_context():
        items = db.session.scalars(select(FeedbackItem).order_by(FeedbackItem.id)).all()
        assert len(items) == 3
        assert "王镕" in items[0].body and "\ufffd" not in items[0].body  # GBK labelled gb2312
        assert "路燈" in items[1].body  # Big5, Traditional as written
        assert [a.original_name for a in items[2].attachments] == ["现场照片.png"]
        code = item_of_message(demo_mailbox.FIRST_SAMPLE_MESSAGE_ID).tracking_code

    # `make run` sends the reply by tracking code once the first sample is an item.
    app.instance_path = str(directory.parent)
    result = runner.invoke(args=["intake", "demo-mail", "--sample-reply", "--wait", "5"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["intake", "demo-mail", "窗口又排长队", "今天上午排了一个小时。"])
    assert result.exit_code == 0, result.output
    ingest(app, mailbox_id)
    drain(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FeedbackItem)) == 4
        joined = db.session.scalar(select(ThreadEntry).where(ThreadEntry.message_id == "demo-4-reply@example.cn"))
        assert joined.item.tracking_code == code and joined.text.startswith("补充一下")


def test_demo_mailbox_restarts_on_the_same_directory_with_the_same_login(demo):
    directory, box = demo
    demo_mailbox.seed(box, directory)
    # An earlier run killed without cleanup left its Dovecot running: the next start stops it.
    proc, again = demo_mailbox.start(directory)
    try:
        assert again.password == box.password and again.user == box.user
        assert inbox_count(again) == 3
        assert demo_mailbox.DemoMailbox.load(directory) == again
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_watcher_without_a_mailbox_stays_up_idle_and_stops_on_sigterm(app, tmp_path):
    # Under honcho (make run) a process that exits stops all the others.
    import signal
    import subprocess
    import time

    from tests.mailbox.test_faults import Managed, process_env

    app.config.update(IMAP_HOST="", IMAP_PORT=993, IMAP_USER="", IMAP_PASSWORD="")
    watcher = Managed("watcher", ["watch"], process_env(app), tmp_path)
    watcher.start()
    try:
        # Up, idle, and its signal handlers in place once it has said so.
        deadline = time.monotonic() + 120
        while "no active mailbox to watch" not in (tmp_path / "watcher.log").read_text():
            assert watcher.proc.poll() is None, (tmp_path / "watcher.log").read_text()
            assert time.monotonic() < deadline, "the watcher never said it is idle"
            time.sleep(0.1)
        os.killpg(watcher.proc.pid, signal.SIGTERM)
        assert watcher.proc.wait(10) == 0
    except subprocess.TimeoutExpired:
        pytest.fail("the idle watcher did not stop on SIGTERM")
    finally:
        watcher.kill9()
    log = (tmp_path / "watcher.log").read_text()
    assert log.count("no active mailbox to watch") == 1

    # Stopped while still starting (before it has looked for mailboxes): a clean stop too.
    early = Managed("early", ["watch"], process_env(app), tmp_path)
    early.start()
    try:
        deadline = time.monotonic() + 120
        while "watcher: starting" not in (tmp_path / "early.log").read_text():
            assert early.proc.poll() is None, (tmp_path / "early.log").read_text()
            assert time.monotonic() < deadline, "the watcher never started"
            time.sleep(0.01)
        os.killpg(early.proc.pid, signal.SIGTERM)
        assert early.proc.wait(10) == 0
    finally:
        early.kill9()


SUPERVISED_DEMO = """
import json, sys, threading
from pathlib import Path
from intake.dev import demo_mailbox, devstack
with devstack.supervised() as started:
    proc, box = demo_mailbox.start(Path(sys.argv[1]))
    started.append(proc)
    print(json.dumps({"pid": proc.pid, "box": box.__dict__}), flush=True)
    threading.Event().wait()  # like `make run` waiting on honcho, until a signal
"""


def test_make_run_under_a_private_home_reaches_its_mailbox_and_sigterm_stops_dovecot(tmp_path):
    # /root is 0700 on Debian: Dovecot's mail user cannot enter a checkout there.
    if os.geteuid() != 0:
        pytest.skip("the demo mailbox needs root (Dovecot switches to the mail user)")
    import json
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    home = servers.tempdir("intake-private-home-")
    home.chmod(0o700)
    directory = home / "checkout" / "instance" / "demo-mailbox"
    script = subprocess.Popen(
        [sys.executable, "-c", SUPERVISED_DEMO, str(directory)], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    relocated, started = None, {}
    try:
        line = script.stdout.readline()
        while line.startswith("[make run]"):
            line = script.stdout.readline()
        assert line, "the demo mailbox did not start"
        started = json.loads(line)
        relocated = directory.resolve()
        assert directory.is_symlink() and demo_mailbox.RELOCATED_ROOT in relocated.parents
        box = demo_mailbox.DemoMailbox(**started["box"])
        assert demo_mailbox.seed(box, directory) == 3 and inbox_count(box) == 3  # its mail user gets in

        script.send_signal(signal.SIGTERM)  # what make passes on when it is sent SIGTERM
        assert script.wait(20) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 20
        while Path(f"/proc/{started['pid']}").exists():
            assert time.monotonic() < deadline, "the demo Dovecot outlived `make run`"
            time.sleep(0.05)
    finally:
        if script.poll() is None:
            script.kill()
            if started:
                os.kill(started["pid"], signal.SIGKILL)
        shutil.rmtree(home, ignore_errors=True)
        if relocated is not None:
            shutil.rmtree(relocated, ignore_errors=True)
