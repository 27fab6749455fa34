"""GPU-side operations and the worker process.

This package never imports Django: GPU nodes get only the broker and object storage,
never database credentials.
"""
