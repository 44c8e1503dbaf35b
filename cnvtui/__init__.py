"""cnvtui: a terminal dashboard for OpenShift Virtualization updates."""

__version__ = "0.1.0"
