"""The simulated cluster: an HTTP server with Kubernetes API semantics and the controllers
that play OLM, HCO, virt-controller, CVO and MCO.

It shares no code with the rest of the package so that it cannot hide their bugs.
"""
