"""Evidence appraisal: design diagnosis against the truth, analysis strategies, the claims ledger."""

from acne_outcomes.appraisal.diagnose import Strategy, diagnose, summarise

__all__ = ["Strategy", "diagnose", "summarise"]
