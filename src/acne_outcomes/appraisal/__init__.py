"""Evidence appraisal: design diagnosis against the truth, analysis strategies, the claims ledger."""

from acne_outcomes.appraisal.diagnose import diagnose, summarise
from acne_outcomes.appraisal.strategies import REGISTRY, Strategy

__all__ = ["REGISTRY", "Strategy", "diagnose", "summarise"]
