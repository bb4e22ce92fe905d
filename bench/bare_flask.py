"""The baseline of the HTTP benchmarks (bench/public_load.py, bench/program_moments.py --http):
a trivial Flask app that answers "ok", served by the same gunicorn settings as intake
(`gunicorn -c deploy/gunicorn.conf.py bench.bare_flask:app`)."""

from flask import Flask

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def ok():
    return "ok"
