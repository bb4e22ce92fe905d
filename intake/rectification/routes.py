from intake.rectification import models  # noqa: F401
