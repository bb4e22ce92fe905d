"""Processes that do not classify start without scikit-learn and SciPy (about 0.8 s of start-up
on two cores): the web app, the watcher, `poll --once` (and the parse jobs it runs). Nor do they
import what only a suggestion, a download or an upload needs (NumPy, joblib, openpyxl, Pillow,
filetype, python-docx, WeasyPrint, pygal: 0.2–0.3 s more); those come with their first use. (An
`intake worker` runs suggestion jobs: it loads the model before its first job, workers/worker.py.)
And what start-up made is frozen out of the collector's sight, with the collector on again."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys
import wsgi  # the app and every `flask intake` command
import gc
print('collector after start-up:', gc.isenabled(), gc.get_freeze_count() > 100_000)
import intake.feedback.jobs, intake.mailbox.jobs, intake.triage.jobs, intake.rectification.jobs, intake.periodic
import workers.watcher, workers.worker
loaded = sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')})
print('before training:', ','.join(loaded) or '-')
LAZY = ('numpy', 'joblib', 'openpyxl', 'PIL', 'filetype', 'docx', 'weasyprint', 'pygal')
print('lazy:', ','.join(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in LAZY})) or '-')
from intake.triage import suggestions
suggestions.signature_bytes('政务大厅窗口排队')  # the first suggestion brings NumPy
print('numpy after a signature:', 'numpy' in sys.modules)
from intake.triage.suggest import classifier
classifier._vectorizer()  # training needs it: the probe can see it arrive
print('after:', 'sklearn' in sys.modules)
"""


def test_starting_a_process_does_not_import_scikit_learn_or_scipy(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "INTAKE_CONFIG": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # the start-up's objects are set aside from the collector (wsgi.py), and it runs again after
    assert "collector after start-up: True True" in result.stdout, result.stdout
    assert "before training: -" in result.stdout, result.stdout
    assert "lazy: -" in result.stdout, result.stdout
    assert "numpy after a signature: True" in result.stdout, result.stdout
    assert "after: True" in result.stdout, result.stdout
