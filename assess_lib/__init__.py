"""FSA guideline assessment kit: assesses AWS estates and e-mail domains against the FSA's Guidelines on
Cybersecurity for the Financial Sector (its Japanese title and every text a reader sees: assess_lib/text/)."""

__version__ = "0.1.0"
