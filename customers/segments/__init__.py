"""Segments: lifecycle stages, RFM scores, CLV and custom audiences (see rules.py for the rules,
customers/services/segments.py for the recompute, customers/webhooks_out.py for the events)."""
