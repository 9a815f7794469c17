"""Statistical models and tests. Every helper returns a :class:`~acne_outcomes.stats.tidy.Result`:
a tidy estimate frame plus its diagnostics (see :mod:`acne_outcomes.stats.tidy`). This package
never imports matplotlib."""
