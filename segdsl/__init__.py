"""segdsl."""
