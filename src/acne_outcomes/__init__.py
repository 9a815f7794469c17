"""acne-outcomes: longitudinal acne-treatment studies with a data standard, synthetic
studies with known truth, statistics, reports and evidence-appraisal teaching.

The entry points: :func:`load_study` (validated loading of real or synthetic data),
:func:`save_study`, :class:`Study`, :class:`StudyValidationError`, and
:func:`simulate_study` (synthetic studies).
"""

from importlib.metadata import version

from acne_outcomes.io import StudyReadError, load_study, save_study
from acne_outcomes.simulate import simulate_study
from acne_outcomes.study import Study
from acne_outcomes.validate import StudyValidationError

__version__ = version("acne-outcomes")

__all__ = [
    "Study",
    "StudyReadError",
    "StudyValidationError",
    "load_study",
    "save_study",
    "simulate_study",
]
