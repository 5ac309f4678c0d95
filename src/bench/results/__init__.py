"""Results you can check (the CLI's "results" group): the verifiable result record (:mod:`.record`) and
what families share to write and verify theirs (:mod:`.family_records`), the significance-aware
leaderboard (:mod:`.ranking` over each family's resampling units, :mod:`.board_units`; sweep boards in
:mod:`.leaderboard`) and the Hub's ``.eval_results`` publication format (:mod:`.eval_results`).

Each family's own part lives in its sub-package (``baselines/<family>/records.py`` and ``board.py``),
reached through the family table (``tasks/families.py``: the ``records`` and ``board`` entries).
"""
