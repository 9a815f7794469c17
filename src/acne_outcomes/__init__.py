"""acne-outcomes: longitudinal acne-treatment studies with a data standard, synthetic
studies with known truth, statistics, reports and evidence-appraisal teaching.

The entry points: :func:`load_study` (validated loading of real or synthetic data),
:func:`save_study`, :class:`Study`, :class:`StudyValidationError`, and
:func:`simulate_study` (synthetic studies).
"""

from importlib import import_module
from importlib.metadata import version

__version__ = version("acne-outcomes")

#: The entry points and their modules, imported when first used (PEP 562): importing the
#: package, or a light module of it such as the command line, does not import pandas.
_ENTRY_POINTS = {
    "Study": "acne_outcomes.study",
    "StudyReadError": "acne_outcomes.io",
    "StudyValidationError": "acne_outcomes.validate",
    "load_study": "acne_outcomes.io",
    "save_study": "acne_outcomes.io",
    "simulate_study": "acne_outcomes.simulate",
}


def __getattr__(name: str):
    if name in _ENTRY_POINTS:
        value = getattr(import_module(_ENTRY_POINTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'acne_outcomes' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_ENTRY_POINTS])


__all__ = [
    "Study",
    "StudyReadError",
    "StudyValidationError",
    "load_study",
    "save_study",
    "simulate_study",
]
