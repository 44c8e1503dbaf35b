"""One widget per dashboard panel, plus the shared keyed table."""
