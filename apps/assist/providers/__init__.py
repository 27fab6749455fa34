"""Text-generation providers behind one interface (see base.py)."""
