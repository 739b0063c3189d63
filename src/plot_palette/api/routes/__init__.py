"""One module per resource; each ``register`` adds its routes to the resolver."""
