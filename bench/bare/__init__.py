"""The baseline of `api.get_shot.overhead_ratio`: a bare Django view (no middleware, no
DRF, no authentication) that returns the same shot JSON from the same database."""
