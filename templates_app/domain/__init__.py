"""Guided templates' rules as plain code: conditions, steps, facts, step targets, version diffs, the QA check.

They check, resolve and describe; they never write. Services, forms and views call them.
"""
