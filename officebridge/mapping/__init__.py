"""Mapping files: load and validate YAML, compile a mapping to a Python function.

mapping = load_mapping("mappings/crm_account_to_erp.yaml", describe=...)
compiled = compile_mapping(mapping)
values = compiled.map(record_fields)   # None when `where` filters the record out
"""

from __future__ import annotations

from officebridge.mapping.compiler import CompiledMapping, LookupRef, compile_mapping
from officebridge.mapping.expressions import CompiledExpression, compile_expression, evaluator
from officebridge.mapping.loader import load_mapping, load_mappings, parse_mapping
from officebridge.mapping.schema import load_schema
from officebridge.mapping.schemabuild import build_schema, render_schema
from officebridge.mapping.spec import (
    FieldRule,
    KeyFrom,
    LinkSpec,
    LookupSpec,
    Mapping,
    SourceSpec,
    TargetSpec,
    TransformSpec,
)
from officebridge.mapping.transforms import TRANSFORMS

__all__ = [
    "TRANSFORMS",
    "CompiledExpression",
    "CompiledMapping",
    "FieldRule",
    "KeyFrom",
    "LinkSpec",
    "LookupRef",
    "LookupSpec",
    "Mapping",
    "SourceSpec",
    "TargetSpec",
    "TransformSpec",
    "build_schema",
    "compile_expression",
    "compile_mapping",
    "evaluator",
    "load_mapping",
    "load_mappings",
    "load_schema",
    "parse_mapping",
    "render_schema",
]
