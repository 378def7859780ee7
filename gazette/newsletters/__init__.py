"""Newsletters: subscribers and their consent, issues, and the engine that delivers an issue
to every confirmed subscriber once (see sending.py)."""
