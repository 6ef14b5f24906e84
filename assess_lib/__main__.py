"""`python -m assess_lib ...`"""

import logging
import os
import sys

from ._child import program_startup

program_startup()

from .cli import main

code = main()
# Everything is written and every server stopped by now. Skip the interpreter's teardown, which
# spends seconds freeing the emulator's and the renderer's objects one by one.
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
