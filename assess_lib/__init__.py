"""FSA guideline assessment kit: assesses AWS estates and e-mail domains against the FSA
"金融分野におけるサイバーセキュリティに関するガイドライン" (Guidelines on Cybersecurity for the Financial Sector)."""

import sys as _sys

__version__ = "0.1.0"

# jsonschema imports the optional ``rfc3987_syntax`` (pulled in by jupyter-events' jsonschema extras)
# to check the "iri" format, and that module compiles a Lark grammar at import: about a second of CPU
# in every process that imports jsonschema (the kit's catalogue, moto's API Gateway, nbformat). The kit
# never validates IRIs, so jsonschema is told the module is absent (it then skips that one format).
_sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
