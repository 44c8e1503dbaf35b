"""Benchmarks of issue 9: cnvtui side by side with kubectl and the `watch oc get` loop.

Run them with `python -m bench`; see bench/README.md."""
