"""Support code that sandbox-mcp installs into its Python sandboxes.

capture saves matplotlib figures into the run's artifact directory, backend is the
matplotlib backend that MPLBACKEND selects, and hook patches matplotlib when a program
selects another backend itself.
"""
