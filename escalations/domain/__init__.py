"""The desk's rules as plain code: business time, deadlines, the escalation decision, durations, the handoff brief.

They compute, decide and describe; they never write. Models and services call them, so the rules read in one place.
"""
