"""Access to the Kubernetes API: config loading, list+watch streams, checked writes.

Nothing here knows about the UI; errors become stream states instead of exceptions.
"""
