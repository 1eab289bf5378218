"""An evaluation target's councils organisation and district, checked with councils when the target is
written (shared/councils_references.py; the same check guards budget's grants)."""

from services.evaluation.settings import EvaluationSettings
from shared.app import LifespanPart
from shared.councils_references import councils_references_part


def councils_part(settings: EvaluationSettings) -> LifespanPart:
    return councils_references_part(settings.councils_url, settings.councils_timeout)
