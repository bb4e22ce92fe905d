import click
from flask.cli import AppGroup

rectification_cli = AppGroup("rectification", help="The rectification ledger (整改台账).")
