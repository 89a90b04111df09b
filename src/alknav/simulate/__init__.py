"""Sequencing simulator: whole ALK treatment sequences on calibrated virtual cohorts.

Hypothesis-generating only. The model (``model.py``) is a deterministic/stochastic hybrid of a
multitype branching process; parameters are data (``knowledge/simulation/*.yaml``); strategies are
fixed sequences or the engine's own choice at each simulated re-biopsy (``strategies.py``).
"""

LABEL = "HYPOTHESIS-GENERATING simulation - not a prediction for any patient"
