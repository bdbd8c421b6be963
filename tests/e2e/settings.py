"""Production settings for the browser tests' server and worker, plus one thing the environment
cannot set: the folder the file mail backend writes to, so a test reads the mail a visitor got."""

from wallet_support.settings import *  # noqa: F403

EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH")  # noqa: F405
