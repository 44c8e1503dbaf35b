"""`cnvtui preflight`: headless checks before an update (the checks themselves are pure, in
`cnvtui.state.preflight`; this package reads the cluster and prints the report)."""
