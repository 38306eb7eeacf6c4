"""Stage 3: backends turn a checked segment into customers: ``sql`` builds sqlglot
expressions for any dialect, ``memory`` evaluates over a :class:`~segdsl.store.model.Store`."""
