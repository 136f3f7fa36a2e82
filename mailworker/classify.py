"""`mailworker classify`: the whole pipeline over .eml files against a registry in memory, JSON out.

Touches no configured database: the registry and aliases are read from the
given CSV files into an in-memory index.  The same stages as the daemon run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from mailworker.config import DecisionSettings
from mailworker.matching import RegistryIndex
from mailworker.pipeline import Context, Stage, run_stages
from mailworker.registry import load_aliases_csv, load_registry_csv
from mailworker.stages import build_stages
from mailworker.stages.decide import MemoryRegistry
from mailworker.stages.extract import Extraction, Found


def memory_registry(registry_csv: Path, aliases_csv: Path | None, settings: DecisionSettings) -> MemoryRegistry:
    """A registry view built from the CSV files."""
    records = load_registry_csv(registry_csv)
    aliases = load_aliases_csv(aliases_csv) if aliases_csv else []
    return MemoryRegistry(RegistryIndex.build(records, aliases, fuzzy_threshold=settings.fuzzy_threshold))


def _found(candidate: Found) -> dict[str, Any]:
    value = candidate.value
    if hasattr(value, "__dataclass_fields__"):
        value = {k: getattr(value, k) for k in value.__dataclass_fields__}
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    return {"value": value, "confidence": candidate.confidence, "source": candidate.source,
            "span": list(candidate.span), "label": candidate.label}


def evidence(context: Context) -> dict[str, Any]:
    """Every candidate and match, for reviewers and for debugging the parsers."""
    extraction = context.extraction
    result: dict[str, Any] = dict(context.result)
    if isinstance(extraction, Extraction):
        result.update({
            "reading_source": extraction.reading_source,
            "date_assumed": extraction.date_assumed,
            "readings": [_found(c) for c in extraction.reading_candidates],
            "dates": [_found(c) for c in extraction.date_candidates],
            "phones": [_found(c) for c in extraction.phones],
            "accounts": [_found(c) for c in extraction.accounts],
            "addresses": [_found(c) for c in extraction.addresses],
        })
    match = context.match
    if match is not None:
        result["account_candidates"] = [{"account_id": c.account_id, "score": c.score, "via": c.via}
                                        for c in match.candidates[:5]]
    return result


def summary(context: Context) -> dict[str, Any]:
    """The classify contract: decision, account, readings, date, phone, reasons, confidence, evidence."""
    extraction = context.extraction
    readings = fixation = phone = None
    if isinstance(extraction, Extraction):
        readings = extraction.readings
        fixation = extraction.fixation_date.isoformat() if extraction.fixation_date and readings else None
        phone = extraction.phone
    match = context.match
    return {"decision": context.decision or "review", "account_id": match.account_id if match else None,
            "readings": readings, "fixation_date": fixation, "phone": phone, "reasons": list(context.reasons),
            "confidence": context.confidence, "evidence": evidence(context)}


def classify_files(files: Iterable[Path], stages: tuple[Stage, ...], out: TextIO = sys.stdout) -> int:
    """Print one JSON line per file; a file that cannot be processed gets a review line with the error."""
    count = 0
    for path in files:
        try:
            context = run_stages(stages, Context(raw=path.read_bytes()))
            row = {"file": path.name, **summary(context)}
        except Exception as error:  # noqa: BLE001 - one bad file must not hide the others' answers
            row = {"file": path.name, "decision": "review", "account_id": None, "readings": None,
                   "fixation_date": None, "phone": None, "reasons": ["processing_error"], "confidence": 0.0,
                   "evidence": {"error": f"{type(error).__name__}: {error}"}}
        out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        count += 1
    return count


def run_classify(files: list[Path], registry_csv: Path, aliases_csv: Path | None,
                 settings: DecisionSettings | None = None) -> int:
    """Build the in-memory registry and classify ``files``."""
    settings = settings or DecisionSettings()
    stages = build_stages(memory_registry(registry_csv, aliases_csv, settings), settings)
    return classify_files(files, stages)
