"""Access to the Kubernetes API: config loading, list+watch streams, checked writes.

Nothing here knows about the UI; errors become stream states instead of exceptions.
"""

from cnvtui.kube.aio_import import skip_sync_client

skip_sync_client()
