"""Screens pushed over the dashboard: object details and help."""
