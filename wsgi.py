"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi ...`."""

import gc

# Start-up makes a few hundred thousand objects that live as long as the process (modules,
# mapped classes, the app). The cyclic collector would walk them again and again while they are
# made, and once more while the interpreter exits; they are set aside in the permanent
# generation instead (issue 19: `import wsgi` ~0.15 s sooner, and a `poll --once` or
# `worker --burst` that has finished exits ~0.3 s sooner; bench/README.md). Gunicorn's forked
# workers share them unchanged as well.
gc.disable()
try:
    import workers.cli  # noqa: E402
    from intake import create_app  # noqa: E402

    app = create_app()
    workers.cli.init_app(app)
finally:
    gc.freeze()
    gc.enable()
