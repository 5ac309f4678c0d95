"""The ``lomo_auroc`` Hugging Face evaluate module folder (loaded by ``evaluate.load``)."""
