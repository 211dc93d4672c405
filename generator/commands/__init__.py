"""One module per command; each has ``register(cli)``. Shared options live in ``_options``."""
