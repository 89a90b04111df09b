"""alknav: cited, explainable next-line treatment options for ALK-positive NSCLC.

Decision support only: alknav supports, and never replaces, clinical judgement.
"""

__version__ = "0.1.0"
