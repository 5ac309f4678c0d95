"""GEOmeta label-prediction scores (pure numpy; tests compare every number with sklearn): one
private module per piece (scib-metrics layout); this flat namespace is the public face.

* ``_labels``: label checks (1-D, no missing values, one label type on both sides).
* ``_f1``: :func:`f1_scores`, macro/weighted F1, accuracy, per-class precision/recall/F1.
* ``_leaderboard``: :func:`leaderboard_f1` (the seed leaderboard's "F1 ± std"), :func:`format_pm`
  and :func:`geometa_f1`, the ``geometa_f1`` evaluate module's core (plain + leaderboard).
"""
from bench.metrics.geometa._f1 import f1_scores
from bench.metrics.geometa._leaderboard import COMPAT_MODES, format_pm, geometa_f1, leaderboard_f1

__all__ = ["COMPAT_MODES", "f1_scores", "format_pm", "geometa_f1", "leaderboard_f1"]
