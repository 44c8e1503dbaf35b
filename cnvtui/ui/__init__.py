"""The Textual dashboard. It renders the state and calls actions; it never talks HTTP."""
