"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi ...`."""

import workers.cli
from intake import create_app

app = create_app()
workers.cli.init_app(app)
