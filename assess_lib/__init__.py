"""FSA guideline assessment kit: assesses AWS estates and e-mail domains against the FSA
"金融分野におけるサイバーセキュリティに関するガイドライン" (Guidelines on Cybersecurity for the Financial Sector)."""

__version__ = "0.1.0"
