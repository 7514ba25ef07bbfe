"""alliance-kg tests."""
