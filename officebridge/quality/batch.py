"""Batch checks: Great Expectations expectations run on each batch of mapped records.

GX is imported here only, and only when a mapping declares expectations (the
import alone takes seconds). One ephemeral context, one pandas data source and
one suite are built per run and reused for every batch, so a batch costs a
DataFrame and one `validate` call. Results ask for COMPLETE result format, so
column-map expectations name their unexpected rows (`unexpected_index_list`,
positions in the batch), which is what quarantine needs. Expectations that
judge the batch as a whole (row count, mean, ...) name no rows.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from officebridge.errors import MappingError, Problem
from officebridge.quality.spec import ExpectationSpec, QualitySpec

SAMPLE = 5


@dataclass(slots=True)
class CheckResult:
    """The outcome of one expectation on one batch."""

    spec: ExpectationSpec
    success: bool
    rows: int
    unexpected: int | None  # None: the expectation judges the batch as a whole
    rows_at: list[int] = field(default_factory=list)  # positions in the batch of unexpected rows
    sample: list[Any] = field(default_factory=list)
    observed: Any = None
    error: str | None = None


def _plain(value: Any) -> Any:
    """JSON-able form of a value GX hands back (numpy scalars, NaN for null)."""
    if hasattr(value, "item") and callable(value.item):
        try:
            value = value.item()
        except (ValueError, TypeError):
            value = str(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _positions(spec: QualitySpec, index: int) -> tuple[int | None, int | None]:
    """Line and column of the index-th check in the mapping file (re-read only on this error path)."""
    from pathlib import Path  # noqa: PLC0415

    from officebridge.mapping.yamldoc import parse  # noqa: PLC0415

    try:
        doc = parse(Path(spec.file).read_text(encoding="utf-8"))
    except Exception:  # a position is a nicety; the message still says which check
        return None, None
    pos = doc.where((*spec.checks_path, index))
    return (pos.line, pos.column) if pos else (None, None)


class BatchChecker:
    """One GX context and suite for one run; `check(rows)` validates one batch."""

    def __init__(self, spec: QualitySpec) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx  # noqa: PLC0415 - seconds to import: only when expectations exist
        from great_expectations.data_context.types.base import (  # noqa: PLC0415
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self.spec = spec
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        asset = self.context.data_sources.add_pandas("officebridge").add_dataframe_asset("mapped_records")
        self.batches = asset.add_batch_definition_whole_dataframe("batch")
        self.suite = gx.ExpectationSuite(name="officebridge")
        problems = []
        for item in spec.expectations:
            try:
                self.suite.add_expectation(self._build(gx, item))
            except Exception as exc:  # pydantic ValidationError and the like: say which check
                line, column = _positions(spec, item.index)
                reason = " ".join(str(exc).split())
                problems.append(
                    Problem(
                        spec.file,
                        line,
                        column,
                        f"{item.name}: {reason}",
                        f"expectations.checks[{item.index}]",
                    )
                )
        if problems:
            raise MappingError(problems)
        self.suite = self.context.suites.add(self.suite)

    @staticmethod
    def _build(gx: Any, item: ExpectationSpec) -> Any:
        class_name = "".join(part.title() for part in item.name.split("_"))
        cls = getattr(gx.expectations, class_name, None)
        if cls is None:  # irregular capitalisation (KL): find it by its snake-case type
            cls = next(
                (
                    c
                    for c in vars(gx.expectations).values()
                    if isinstance(c, type) and getattr(c, "expectation_type", None) == item.name
                ),
                None,
            )
        if cls is None:
            raise ValueError(f"this Great Expectations version has no expectation {item.name!r}")
        return cls(**item.kwargs)

    def check(self, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> list[CheckResult]:
        import pandas as pd  # type: ignore[import-untyped]  # noqa: PLC0415 - comes with GX; only needed here

        frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
        batch = self.batches.get_batch(batch_parameters={"dataframe": frame})
        outcome = batch.validate(
            self.suite, result_format={"result_format": "COMPLETE", "partial_unexpected_count": SAMPLE}
        )
        by_type: dict[str, list[Any]] = {}
        for found in outcome.results:
            config = found.expectation_config
            by_type.setdefault(config.type if config is not None else "", []).append(found)
        out = []
        for item in self.spec.expectations:  # results in declaration order, matched by type then order
            result = by_type[item.name].pop(0) if by_type.get(item.name) else None
            out.append(self._result(item, result, len(rows)))
        return out

    @staticmethod
    def _result(item: ExpectationSpec, result: Any, rows: int) -> CheckResult:
        if result is None:
            return CheckResult(item, False, rows, None, error="no result from Great Expectations")
        info = result.exception_info or {}
        if info.get("raised_exception"):
            message = " ".join(str(info.get("exception_message") or "raised an exception").split())
            return CheckResult(item, False, rows, None, error=message[:500])
        body = result.result or {}
        at = body.get("unexpected_index_list")
        positions = [int(i) for i in at if isinstance(i, int | float) or hasattr(i, "item")] if at else []
        unexpected = body.get("unexpected_count")
        return CheckResult(
            spec=item,
            success=bool(result.success),
            rows=rows,
            unexpected=int(unexpected) if unexpected is not None else None,
            rows_at=positions,
            sample=_plain(list(body.get("partial_unexpected_list") or [])[:SAMPLE]),
            observed=_plain(body.get("observed_value")),
        )
