"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi ...`."""

import gc

# Start-up makes ~250,000 objects that live as long as the process (modules, mapped classes, the
# app). The cyclic collector would walk them again and again while they are made, and once more
# while the interpreter exits; they are set aside in the permanent generation instead (issue 19:
# `import wsgi` 1.30 -> 0.85 s, an empty `poll --once` exits 1.97 -> 1.1 s; bench/README.md).
# It has to wrap the imports themselves, so it lives here, before anything of the app is loaded.
# (A few hundred unreachable start-up objects are kept with them: ~140 KB, a collection first
# would cost 0.1 s.)
_collecting = gc.isenabled()
gc.disable()
try:
    import workers.cli  # noqa: E402
    from intake import create_app  # noqa: E402

    app = create_app()
    workers.cli.init_app(app)
finally:
    gc.freeze()
    if _collecting:
        gc.enable()
