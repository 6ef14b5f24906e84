"""`python -m assess_lib ...`"""

from .cli import main

raise SystemExit(main())
