"""Statistical models and tests. Every helper returns a tidy estimate frame
(see :mod:`acne_outcomes.stats.tidy`). This package never imports matplotlib."""
