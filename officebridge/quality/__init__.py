"""Data quality: record schemas (JSON Schema) and batch checks (Great Expectations).

The sync run calls one object, `officebridge.quality.gate.QualityGate`, between
planning and writing. Importing this package is cheap: Great Expectations and
pandas are imported only when a mapping declares expectations.
"""
