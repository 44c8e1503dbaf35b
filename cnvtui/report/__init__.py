"""Headless commands for scripts and support: `cnvtui status` (once, `--watch`,
`--wait-for`, `--replay`), built on the same kube and state layers as the dashboard.

No Textual here. Modules: `command` (options, entry point), `status` (live runs),
`replayed` (from a recording), `live` (connection and watch feed), `watching`, `waiting`,
`formats`, `timeparse`; exit codes are in `cnvtui.exitcodes`.
"""
