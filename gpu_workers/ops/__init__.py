"""Registered operations; each module calls gpu_workers.registry.register()."""
