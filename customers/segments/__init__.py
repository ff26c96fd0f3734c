"""Segments: lifecycle stages, RFM scores, CLV and custom audiences, and the outbound events.

rules.py and value_model.py are the rules as pure functions; services/ applies them (the
recompute, the value model's fit, outbound webhooks); selectors.py reads, apis.py + urls.py are
the API, admin.py and filters.py the admin.
"""
