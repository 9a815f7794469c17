"""acne-outcomes: longitudinal acne-treatment studies with a data standard, synthetic
studies with known truth, statistics, reports and evidence-appraisal teaching.

The entry points: :func:`load_study` (validated loading of real or synthetic data),
:class:`Study`, :class:`StudyValidationError`, and ``simulate_study`` (synthetic studies).
"""

from acne_outcomes.io import StudyReadError, load_study, save_study
from acne_outcomes.study import Study
from acne_outcomes.validate import StudyValidationError

__version__ = "0.1.0"

__all__ = [
    "Study",
    "StudyReadError",
    "StudyValidationError",
    "load_study",
    "save_study",
    "simulate_study",
]


def __getattr__(name):
    if name == "simulate_study":
        from acne_outcomes.simulate import simulate_study

        return simulate_study
    raise AttributeError(f"module 'acne_outcomes' has no attribute {name!r}")
